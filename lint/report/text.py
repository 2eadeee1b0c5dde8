"""Human-readable output: ``path:line:col: CODE message`` with a code frame, like Ruff's default."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, TextIO

from ..findings import Finding
from ..runner import RunResult
from ..source import SourceError, read_source
from .summary import summary_line


def _summary(result: RunResult, options: dict) -> str:
    line = summary_line(result)
    fixable = sum(1 for f in result.findings if f.fixable)
    if fixable:
        line += f"\n[*] {fixable} fixable with `zlint fix`."
    return line


def _trailer(result: RunResult, out: TextIO, options: dict) -> None:
    if options.get("quiet"):
        return
    out.write(_summary(result, options) + "\n")


def write_concise(result: RunResult, out: TextIO, options: dict) -> None:
    for finding in result.findings:
        marker = "[*] " if finding.fixable else ""
        out.write(f"{finding.path}:{finding.start.line}:{finding.start.column}: {finding.code} {marker}{finding.message}\n")
    _trailer(result, out, options)


class _Lines:
    def __init__(self):
        self.cache: Dict[str, List[str]] = {}

    def get(self, path: str) -> List[str]:
        if path not in self.cache:
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
    lines = _Lines()
    for finding in result.findings:
        marker = "[*] " if finding.fixable else ""
        out.write(f"{finding.path}:{finding.start.line}:{finding.start.column}: {finding.code} {marker}{finding.message}\n")
        for row in _frame(finding, lines.get(finding.path)):
            out.write(row + "\n")
        if finding.chain:
            out.write(f"  = chain: {finding.chain_text()}\n")
        if finding.fix_title:
            out.write(f"  = help: {finding.fix_title}\n")
        if finding.fix_note:
            out.write(f"  = note: {finding.fix_note}\n")
        out.write("\n")
    _trailer(result, out, options)
