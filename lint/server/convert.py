"""From zlint's records to the protocol's: findings to diagnostics, file contents to edits.

zlint counts lines from 1 and columns in characters from 1; the protocol counts both from 0,
and columns in the code units the client and server agreed on (UTF-16 unless told otherwise).
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

from lsprotocol import types

from ..findings import Finding
from ..report.severity import severity_of
from ..results import InternalError

SOURCE = "zlint"
# Each rule's page; docs/rules/<CODE>.md in the repository.
DOCS_BASE = "https://github.com/zlint/zlint/blob/main/docs/rules"

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> List[str]:
    """The document's lines as the protocol counts them (``\\n``, ``\\r\\n`` and ``\\r`` end a line)."""
    return _LINE_BREAK.split(text)


def rule_url(code: str) -> str:
    return f"{DOCS_BASE}/{code}.md"


class Units:
    """Character columns to the client's code units, over one document's lines."""

    def __init__(self, lines: Sequence[str], encoding: Optional[str]):
        self.lines = lines
        self.utf8 = encoding == types.PositionEncodingKind.Utf8
        self.utf32 = encoding == types.PositionEncodingKind.Utf32

    def count(self, text: str) -> int:
        if self.utf32:
            return len(text)
        if self.utf8:
            return len(text.encode("utf-8", errors="surrogatepass"))
        return len(text.encode("utf-16-le", errors="surrogatepass")) // 2

    def position(self, line: int, column: int) -> types.Position:
        """``line`` and ``column`` counted from 1, in characters."""
        index = max(line - 1, 0)
        if index >= len(self.lines):
            return types.Position(
                line=max(len(self.lines) - 1, 0), character=self.count(self.lines[-1]) if self.lines else 0
            )
        text = self.lines[index]
        return types.Position(line=index, character=self.count(text[: max(column - 1, 0)]))

    def line_end(self, index: int) -> types.Position:
        """The end of line ``index`` (from 0), before its line break."""
        return types.Position(line=index, character=self.count(self.lines[index]))

    def characters(self, position: types.Position) -> int:
        """The character column (from 0) of a client position."""
        if position.line >= len(self.lines):
            return 0
        text, units, chars = self.lines[position.line], 0, 0
        for char in text:
            if units >= position.character:
                break
            units += self.count(char)
            chars += 1
        return chars


def finding_range(finding: Finding, units: Units) -> types.Range:
    start = units.position(finding.start.line, finding.start.column)
    end = units.position(finding.end.line, finding.end.column)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def finding_message(finding: Finding) -> str:
    parts = [finding.message]
    if finding.chain:
        parts.append(f"chain: {finding.chain_text()}")
    if finding.fix_note and not finding.fixable:
        prefix = "unsafe fix" if finding.fix_applicability == "unsafe" else "no fix"
        parts.append(f"{prefix}: {finding.fix_note}")
    return "\n".join(parts)


def finding_key(finding: Finding) -> dict:
    """What a diagnostic carries back in code action requests, to find its finding again."""
    return {"code": finding.code, "line": finding.start.line, "column": finding.start.column}


def diagnostic(finding: Finding, units: Units) -> types.Diagnostic:
    severity = _SEVERITY.get(severity_of(finding.code), types.DiagnosticSeverity.Warning)
    return types.Diagnostic(
        range=finding_range(finding, units),
        message=finding_message(finding),
        severity=severity,
        code=finding.code,
        code_description=types.CodeDescription(href=rule_url(finding.code)),
        source=SOURCE,
        data=finding_key(finding),
    )


def internal_error_diagnostic(error: InternalError) -> types.Diagnostic:
    """A rule that crashed: said in the editor, so that no file looks clean that was not checked."""
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        message=f"internal error in {error.rule}, this file was not fully checked: {error.message}",
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


def setup_error_diagnostic(message: str) -> types.Diagnostic:
    """A configuration zlint cannot use: no rule ran on the file."""
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        message=f"zlint did not check this file: {message}",
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


def replacement(old: str, new: str, encoding: Optional[str]) -> Optional[types.TextEdit]:
    """One edit turning ``old`` into ``new``: the lines between their common first and last
    lines are replaced (whole lines, so cursors and folds elsewhere stay put). None when equal."""
    if old == new:
        return None
    old_lines = _protocol_lines(old)
    new_lines = _protocol_lines(new)
    head = 0
    while head < min(len(old_lines), len(new_lines)) and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old_lines), len(new_lines)) - head
        and old_lines[len(old_lines) - 1 - tail] == new_lines[len(new_lines) - 1 - tail]
    ):
        tail += 1
    units = Units(split_lines(old), encoding)
    start = types.Position(line=head, character=0)
    end_index = len(old_lines) - tail
    if end_index < len(old_lines) or old.endswith(("\n", "\r")):
        end = types.Position(line=end_index, character=0)
    else:  # the replaced part runs to the end of a last line without a line break
        end = units.line_end(end_index - 1) if end_index > 0 else start
    text = "".join(new_lines[head : len(new_lines) - tail])
    return types.TextEdit(range=types.Range(start=start, end=end), new_text=text)


def _protocol_lines(text: str) -> List[str]:
    """Lines with their breaks, split at ``\\n``, ``\\r\\n`` and ``\\r`` only."""
    lines: List[str] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines
