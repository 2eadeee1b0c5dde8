"""All rules over one tree: exactly the expected findings, none reported by two rules."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from zlint.rules import analysis_rules
from tests.helpers import EXPECT, check_tree

DATA = Path(__file__).parent / "data" / "mixed"


def _expected(root: Path):
    expected = set()
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                for code in match.group("codes").split(","):
                    expected.add((path.relative_to(root).as_posix(), number, code.strip()))
    return expected


def test_every_rule_fires_exactly_where_expected(tmp_path):
    root = tmp_path / "mixed"
    shutil.copytree(DATA, root)
    result = check_tree(root, select=["ALL"])
    assert not result.internal_errors
    found = {(f.path, f.start.line, f.code) for f in result.findings}
    assert found == _expected(root)
    assert {code for _, _, code in found} == {rule.code for rule in analysis_rules()}


def test_no_line_is_reported_by_two_rules(tmp_path):
    root = tmp_path / "mixed"
    shutil.copytree(DATA, root)
    result = check_tree(root, select=["ALL"])
    per_line = Counter((f.path, f.start.line) for f in result.findings)
    assert [key for key, count in per_line.items() if count > 1] == []


def test_zl006_is_off_by_default(tmp_path):
    root = tmp_path / "mixed"
    shutil.copytree(DATA, root)
    codes = {f.code for f in check_tree(root).findings}
    assert "ZL006" not in codes and "ZL001" in codes
