"""``--statistics``: one line per rule with its count, like Ruff's."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from ..runner import RunResult
from .summary import summary_line


def write_statistics(result: RunResult, out: TextIO, options: dict) -> None:
    counts = Counter(f.code for f in result.findings)
    names = {f.code: f.name for f in result.findings}
    fixable = Counter(f.code for f in result.findings if f.fixable)
    width = max((len(str(n)) for n in counts.values()), default=1)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        marker = "[*]" if fixable[code] == count else "[-]" if fixable[code] else "   "
        out.write(f"{count:>{width}}\t{code}\t{marker} {names[code]}\n")
    out.write(summary_line(result) + "\n")
