"""Golden before/after cases for `zlint fix`, each spread over several files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import libcst as cst
import pytest

from tests.helpers import check_tree, run_cli

CASES = Path(__file__).parent / "data" / "fix_cases"
ALL_CASES = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _python_files(root: Path):
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _run_case(name: str, tmp_path: Path, *args: str) -> Path:
    work = tmp_path / name
    shutil.copytree(CASES / name / "before", work)
    out = run_cli(["fix", *args, "."], work)
    assert out.exit_code in (0, 1), out.output
    return work


def test_there_are_enough_golden_cases():
    assert len(ALL_CASES) >= 12


@pytest.mark.parametrize("name", ALL_CASES)
def test_fix_matches_golden_output(name, tmp_path):
    work = _run_case(name, tmp_path)
    expected_dir = CASES / name / "after"
    if not expected_dir.is_dir():
        expected_dir = CASES / name / "before"  # a refused or unsafe fix changes nothing by default
    assert _python_files(work) == _python_files(expected_dir)


@pytest.mark.parametrize("name", ALL_CASES)
def test_fixed_output_parses_is_idempotent_and_clean(name, tmp_path):
    work = _run_case(name, tmp_path)
    for text in _python_files(work).values():
        cst.parse_module(text)
        compile(text, "<fixed>", "exec")
    once = _python_files(work)
    run_cli(["fix", "."], work)
    assert _python_files(work) == once, "a second `zlint fix` must change nothing"
    remaining = check_tree(work).findings
    case_file = CASES / name / "case.json"
    if case_file.exists():
        case = json.loads(case_file.read_text())
        assert len(remaining) == 1
        assert remaining[0].fix_note == case["note"]
        assert remaining[0].fixable is False
    else:
        assert remaining == []


def test_unsafe_fix_is_applied_only_with_the_flag(tmp_path):
    work = _run_case("unsafe_read_elsewhere", tmp_path, "--unsafe-fixes")
    assert _python_files(work) == _python_files(CASES / "unsafe_read_elsewhere" / "after_unsafe")
    untouched = tmp_path / "untouched"
    shutil.copytree(CASES / "unsafe_read_elsewhere" / "before", untouched)
    finding = check_tree(untouched).findings[0]
    assert finding.fix_applicability == "unsafe" and not finding.fixable
    out = run_cli(["check", "."], untouched)
    assert "ZL001 [*]" not in out.output, "unsafe fixes are not advertised as fixable"
