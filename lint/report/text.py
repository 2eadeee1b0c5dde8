"""Human-readable output: ``path:line:col: CODE message`` with a code frame, like Ruff's default."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, TextIO

from ..findings import Finding
from ..results import RunResult
from ..source import SourceError, read_source
from .summary import summary_line
from .colour import BOLD, RED, paint


def _summary(result: RunResult, options: dict) -> str:
    line = summary_line(result)
    fixable = sum(1 for f in result.findings if f.fixable)
    if fixable:
        line += f"\n[*] {fixable} fixable with `zlint fix`."
    unsafe = sum(1 for f in result.findings if f.fix_applicability == "unsafe" and not f.fixable)
    if unsafe:
        line += f"\n{unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option."
    return line


def one_line(text: str) -> str:
    """A message on one line: a target that spans lines is shown with its line breaks as spaces."""
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


def _head(finding: Finding, options: dict) -> str:
    colour = options.get("colour", False)
    marker = "[*] " if finding.fixable else ""
    where = paint(f"{finding.path}:{finding.start.line}:{finding.start.column}:", BOLD, colour)
    return f"{where} {paint(finding.code, RED, colour)} {marker}{one_line(finding.message)}"


def _trailer(result: RunResult, out: TextIO, options: dict) -> None:
    if options.get("quiet"):
        return
    out.write(_summary(result, options) + "\n")


def _suppressed(result: RunResult, out: TextIO, options: dict) -> None:
    """``--show-suppressed``: the silenced findings, marked, after the others."""
    if options.get("show_suppressed"):
        for finding in result.suppressed:
            out.write(_head(finding, options) + " (suppressed)\n")


def write_concise(result: RunResult, out: TextIO, options: dict) -> None:
    for finding in result.findings:
        out.write(_head(finding, options) + "\n")
    _suppressed(result, out, options)
    _trailer(result, out, options)


class _Lines:
    """Each file's lines as the run read them (``RunResult.sources``); a file whose findings
    came from the cache is read again (the cache checked it is unchanged)."""

    def __init__(self, sources: Dict[str, str]):
        self.sources = sources
        self.cache: Dict[str, List[str]] = {}

    def get(self, path: str) -> List[str]:
        if path not in self.cache:
            if path in self.sources:
                self.cache[path] = self.sources[path].splitlines()
                return self.cache[path]
            try:
                self.cache[path] = read_source(Path(path)).text.splitlines()
            except SourceError:
                self.cache[path] = []
        return self.cache[path]


def _frame(finding: Finding, lines: List[str]) -> List[str]:
    if not lines or finding.start.line > len(lines):
        return []
    first = max(1, finding.start.line - 1)
    last = min(len(lines), max(finding.end.line, finding.start.line) + 1)
    width = len(str(last))
    gutter = " " * width
    out = [f"{gutter} |"]
    for number in range(first, last + 1):
        text = lines[number - 1].replace("\t", "    ")
        out.append(f"{number:>{width}} | {text}".rstrip())
        if number == finding.start.line:
            start = finding.start.column - 1
            if finding.end.line == finding.start.line:
                length = max(1, finding.end.column - finding.start.column)
            else:
                length = max(1, len(text) - start)
            out.append(f"{gutter} | {' ' * start}{'^' * length} {finding.code}")
    out.append(f"{gutter} |")
    return out


def write_full(result: RunResult, out: TextIO, options: dict) -> None:
    lines = _Lines(result.sources)
    for finding in result.findings:
        out.write(_head(finding, options) + "\n")
        for row in _frame(finding, lines.get(finding.path)):
            out.write(row + "\n")
        if finding.chain:
            out.write(f"  = chain: {one_line(finding.chain_text())}\n")
        if finding.fix_title:
            out.write(f"  = help: {one_line(finding.fix_title)}\n")
        if finding.fix_note:
            out.write(f"  = note: {one_line(finding.fix_note)}\n")
        out.write("\n")
    _suppressed(result, out, options)
    _trailer(result, out, options)
