"""Deep but legal code: the same answer in this process and in workers, never an internal error.

1,000 levels of each construct are analysed; past the nesting budget a file gets one ZL000
"too deeply nested: not analysed" (counted, so never "All checks passed!"); neither Python's nor
LibCST's parser ever sees input deep enough to crash or to take quadratic time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zlint.config import Config
from zlint.parsing import MAX_NESTING, TOO_DEEP, nesting_depth
from zlint.runner import check_paths
from tests.helpers import chdir, fuzz_harness
from tests.test_robustness import BAD

HEAD = BAD.rsplit("        return self.block(x)\n", 1)[0]
_FUZZ = fuzz_harness()  # the fuzz harness's generator of deep constructs, shared
deep_statement = _FUZZ.deep_statement
KINDS = list(_FUZZ.DEEP_KINDS)
# Python itself refuses these at 1,000 levels (its limits are 200 brackets and 100 indents).
PYTHON_REFUSES = {"parentheses", "lists", "ifs"}


def _write(root: Path, n: int) -> None:
    root.mkdir()
    for kind in KINDS:
        (root / f"{kind}.py").write_text(HEAD + deep_statement(kind, n) + "        return self.block(x)\n")


def _answers(root: Path, jobs: int):
    config = Config(project_root=root)
    with chdir(root):
        result = check_paths([Path(".")], config, jobs=jobs)
    assert not result.internal_errors, result.internal_errors
    return sorted((f.path, f.code, f.start.line, f.message) for f in result.findings)


def test_a_thousand_levels_of_each_construct_same_answer_in_process_and_in_workers(tmp_path):
    root = tmp_path / "deep"
    _write(root, 1000)
    here, workers = _answers(root, 1), _answers(root, 2)
    assert here == workers
    by_file = {}
    for path, code, _line, message in here:
        by_file.setdefault(path, []).append((code, message))
    for kind in KINDS:
        codes = [code for code, _ in by_file[f"{kind}.py"]]
        if kind in PYTHON_REFUSES:
            assert codes == ["ZL000"] and "syntax error" in by_file[f"{kind}.py"][0][1]
        else:
            assert codes == ["ZL001"], (kind, by_file[f"{kind}.py"])  # analysed, the finding is there


def test_past_the_budget_one_note_per_file_in_every_mode(tmp_path):
    root = tmp_path / "deeper"
    _write(root, 6000)  # LibCST's parser overflowed its stack on 6,000 attribute links
    here, workers = _answers(root, 1), _answers(root, 2)
    assert here == workers
    for kind in set(KINDS) - PYTHON_REFUSES:
        assert [(code, message) for path, code, _, message in here if path == f"{kind}.py"] == [
            ("ZL000", f"{TOO_DEEP} (more than {MAX_NESTING} levels)")
        ]


def test_the_summary_counts_a_file_not_analysed(tmp_path):
    from tests.helpers import run_cli

    (tmp_path / "sums.py").write_text(HEAD + deep_statement("sums", 2000) + "        return self.block(x)\n")
    result = run_cli(["check", "--no-cache", "."], tmp_path)
    assert result.exit_code == 1
    assert "too deeply nested: not analysed" in result.output and "All checks passed" not in result.output


@pytest.mark.parametrize("parts,limit,deeper", [(1, 10, False), (50, 10, True), (50, 60, False), (700, 600, True)])
def test_nesting_depth_counts_adjacent_strings_as_levels(parts, limit, deeper):
    import ast

    source = "y = " + " ".join(['"a"'] * parts) + "\n"
    assert (nesting_depth(ast.parse(source), source, limit=limit) > limit) == deeper
    docstring = '"""' + "x\n" * 5000 + '"""\n'
    assert nesting_depth(ast.parse(docstring), docstring, limit=10) <= 10  # one long literal is one level
