"""Suppression comments: ``# zlint: ignore[ZL001]``, ``# zlint: ignore`` and ``# noqa: ZL001`` on a
line, and ``# zlint: ignore-file`` / ``# zlint: ignore-file[ZL001]`` on a line of its own for the
whole file."""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, FrozenSet, Optional

_FILE = re.compile(r"^#\s*zlint:\s*ignore-file(?:\[(?P<codes>[^\]]*)\])?\s*$", re.IGNORECASE)
_ZLINT = re.compile(r"#\s*zlint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.IGNORECASE)

ALL = frozenset({"*"})
WHOLE_FILE = 0  # the table's key for file-level suppressions (lines count from 1)


def _codes(raw: Optional[str]) -> FrozenSet[str]:
    if raw is None:
        return ALL
    codes = frozenset(code.strip().upper() for code in re.split(r"[\s,]+", raw) if code.strip())
    return codes or ALL


def parse_comment(comment: str) -> Optional[FrozenSet[str]]:
    """The codes a comment suppresses (``{"*"}`` for all), or None when it suppresses nothing."""
    match = _ZLINT.search(comment)
    if match:
        return _codes(match.group("codes"))
    match = _NOQA.search(comment)
    if match:
        return _codes(match.group("codes"))
    return None


def suppressions(text: str) -> Dict[int, FrozenSet[str]]:
    """Line number -> suppressed codes, from real comment tokens (not strings)."""
    if "noqa" not in text.lower() and "zlint" not in text.lower():
        return {}
    result: Dict[int, FrozenSet[str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                whole = _FILE.match(token.string.strip())
                if whole:
                    if not token.line[: token.start[1]].strip():  # on a line of its own
                        result[WHOLE_FILE] = result.get(WHOLE_FILE, frozenset()) | _codes(whole.group("codes"))
                    continue
                codes = parse_comment(token.string)
                if codes is not None:
                    line = token.start[0]
                    result[line] = result.get(line, frozenset()) | codes
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return result


def is_suppressed(code: str, lines, table: Dict[int, FrozenSet[str]]) -> bool:
    for line in (WHOLE_FILE, *lines):
        codes = table.get(line)
        if codes and ("*" in codes or code in codes):
            return True
    return False
