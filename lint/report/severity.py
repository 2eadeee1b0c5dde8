"""Each rule's severity, looked up by code (ZL000 is an error)."""

from __future__ import annotations


def severity_of(code: str) -> str:
    from zlint.rules import RULES_BY_CODE

    rule = RULES_BY_CODE.get(code)
    return rule.severity if rule is not None else "error"
