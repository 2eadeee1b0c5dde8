"""Hover on a flagged write: what the rule finds and why it matters, from the rule's own docs."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from lsprotocol import types

from ..findings import Finding
from ..selection import PARSE_ERROR_CODE, PARSE_ERROR_DOCS, PARSE_ERROR_NAME
from .convert import Units, finding_range, rule_url

_SECTIONS = ("What it does", "Why is this bad?")


def _sections(docs: str):
    found: Dict[str, List[str]] = {}
    current = None
    for line in docs.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            found[current] = []
        elif current is not None:
            found[current].append(line)
    return {title: "\n".join(body).strip() for title, body in found.items()}


def rule_markdown(code: str) -> Optional[str]:
    from zlint.rules import RULES_BY_CODE

    if code == PARSE_ERROR_CODE:
        name, sections = PARSE_ERROR_NAME, _sections(PARSE_ERROR_DOCS)
    else:
        rule = RULES_BY_CODE.get(code)
        if rule is None:
            return None
        name, sections = rule.name, rule.doc_sections()
    parts = [f"**{code}** `{name}`"]
    for title in _SECTIONS:
        if sections.get(title):
            parts.append(f"### {title}\n{sections[title]}")
    parts.append(f"[Rule documentation]({rule_url(code)})")
    return "\n\n".join(parts)


def _contains(rng: types.Range, position: types.Position) -> bool:
    start, end = (rng.start.line, rng.start.character), (rng.end.line, rng.end.character)
    return start <= (position.line, position.character) <= end


def hover(findings: Sequence[Finding], position: types.Position, units: Units) -> Optional[types.Hover]:
    for finding in findings:
        rng = finding_range(finding, units)
        if _contains(rng, position):
            text = rule_markdown(finding.code)
            if text is None:
                return None
            chain = f"\n\nChain: `{finding.chain_text()}`" if finding.chain else ""
            return types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text + chain),
                range=rng,
            )
    return None
