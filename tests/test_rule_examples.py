"""Every rule's own valid and invalid examples, run through the whole engine."""

from __future__ import annotations

import pytest

from zlint.rules import ALL_RULES
from tests.helpers import check_tree, expected_lines, snippet


def _cases(kind):
    for rule in ALL_RULES:
        for number, example in enumerate(getattr(rule, kind), start=1):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{number}")


@pytest.mark.parametrize("rule,example", list(_cases("invalid")))
def test_invalid_example_is_flagged_on_marked_lines(rule, example, tmp_path):
    code = snippet(example.code)
    expected = expected_lines(code, rule.code)
    assert expected, "an invalid example must mark its expected lines with `# expect: CODE`"
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    result = check_tree(tmp_path, select=[rule.code])
    assert not result.internal_errors
    found = sorted({f.start.line for f in result.findings if f.code == rule.code})
    assert found == expected


@pytest.mark.parametrize("rule,example", list(_cases("valid")))
def test_valid_example_is_not_flagged(rule, example, tmp_path):
    (tmp_path / "example.py").write_text(snippet(example.code), encoding="utf-8")
    result = check_tree(tmp_path, select=[rule.code])
    assert not result.internal_errors
    assert [f for f in result.findings if f.code == rule.code] == []


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_has_docs_in_the_documented_shape(rule):
    sections = rule.doc_sections()
    for heading in ("What it does", "Why is this bad?", "Example", "Fix"):
        assert sections.get(heading), f"{rule.code} docs lack a `## {heading}` section"
    assert rule.code.startswith("ZL") and rule.name == rule.name.lower()


def test_every_rule_has_enough_examples():
    for rule in ALL_RULES:
        assert len(rule.invalid) >= 8 and len(rule.valid) >= 12, rule.code
