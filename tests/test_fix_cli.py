"""`zlint fix` as a command: --diff, the check --fix alias, and all-or-nothing writes."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from zlint.config import Config
from zlint.fix import apply as apply_module
from zlint.fix.apply import FixError
from zlint.fix.run import apply_fixes, plan_fixes
from tests.helpers import chdir, check_tree, run_cli

CASES = Path(__file__).parent / "data" / "fix_cases"


@pytest.fixture
def depth2(tmp_path):
    work = tmp_path / "depth2"
    shutil.copytree(CASES / "depth2" / "before", work)
    return work


def _snapshot(root: Path):
    return {p: p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_diff_prints_one_unified_diff_and_writes_nothing(depth2):
    before = _snapshot(depth2)
    out = run_cli(["fix", "--diff", "."], depth2)
    assert out.exit_code == 1
    assert _snapshot(depth2) == before
    for name in ("pkg/model.py", "pkg/block.py", "pkg/attention.py", "pkg/usp.py"):
        assert f"--- a/{name}" in out.output and f"+++ b/{name}" in out.output
    assert (
        "+            x = layer(x, skip_sequence_parallel_override=use_full_unified_sequence)  # the block call"
        in out.output
    )


def test_paths_outside_the_working_directory_are_shown_absolute(depth2, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    model = (depth2 / "pkg" / "model.py").resolve()
    diff = run_cli(["fix", "--diff", str(depth2)], elsewhere)
    assert f"--- {model}\n+++ {model}\n" in diff.output and ".." not in diff.output.split("\n@@")[0]
    check = run_cli(["check", "--output-format", "concise", str(depth2)], elsewhere)
    assert check.output.startswith(f"{model}:")
    inside = run_cli(["check", "--output-format", "concise", str(depth2)], depth2 / "pkg")
    assert inside.output.startswith("model.py:")


def test_check_fix_is_an_alias_of_fix(depth2, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(depth2, other)
    assert run_cli(["check", "--fix", "."], depth2).exit_code == 0
    assert run_cli(["fix", "."], other).exit_code == 0
    assert {p.relative_to(depth2): b for p, b in _snapshot(depth2).items()} == {
        p.relative_to(other): b for p, b in _snapshot(other).items()
    }


def test_check_marks_fixable_findings(depth2):
    out = run_cli(["check", "."], depth2)
    assert "ZL001 [*]" in out.output
    assert "[*] 1 fixable with `zlint fix`." in out.output


def test_a_file_that_would_not_parse_aborts_the_whole_fix(depth2, monkeypatch):
    before = _snapshot(depth2)
    real_render = apply_module.render

    class Unparsable:
        bytes = b"def forward(:\n"

    def broken_render(plan, module, summary=None):
        new = real_render(plan, module, summary)
        return Unparsable() if "class Block" in module.code else new

    monkeypatch.setattr(apply_module, "render", broken_render)
    out = run_cli(["fix", "."], depth2)
    assert out.exit_code == 2
    assert "block.py" in out.output and "no file was changed" in out.output
    assert _snapshot(depth2) == before


def test_file_changed_after_planning_aborts_and_writes_nothing(depth2):
    config = Config(project_root=depth2)
    with chdir(depth2):
        outcome = plan_fixes([Path(".")], config)
        assert len(outcome.edits) == 4
        block = depth2 / "pkg" / "block.py"
        block.write_text(block.read_text() + "\n# edited meanwhile\n")
        before = _snapshot(depth2)
        with pytest.raises(FixError, match="changed while the fix was planned"):
            apply_fixes(outcome)
    assert _snapshot(depth2) == before
    assert not list(depth2.rglob("*.zlint-tmp"))


def test_encoding_bom_line_endings_and_mode_are_preserved(depth2):
    model = depth2 / "pkg" / "model.py"
    text = model.read_text()
    model.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    model.chmod(0o754)
    assert run_cli(["fix", "."], depth2).exit_code == 0
    data = model.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert b"skip_sequence_parallel_override=use_full_unified_sequence" in data
    assert stat.S_IMODE(model.stat().st_mode) == 0o754


def test_parameter_name_template_from_config(depth2):
    (depth2 / "pyproject.toml").write_text('[tool.zlint.fix]\nparameter-template = "{attr}_arg"\n')
    assert run_cli(["fix", "."], depth2).exit_code == 0
    assert "skip_sequence_parallel_arg=use_full_unified_sequence" in (depth2 / "pkg" / "model.py").read_text()
    assert check_tree(depth2).findings == []


def test_file_vanishing_after_planning_aborts_and_writes_nothing(depth2):
    config = Config(project_root=depth2)
    with chdir(depth2):
        outcome = plan_fixes([Path(".")], config)
        (depth2 / "pkg" / "attention.py").unlink()
        before = _snapshot(depth2)
        with pytest.raises(FixError, match="cannot read .*attention.py"):
            apply_fixes(outcome)
    assert _snapshot(depth2) == before
    assert not list(depth2.rglob("*.zlint-tmp"))
