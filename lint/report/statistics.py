"""``--statistics``: one line per rule with its count, like Ruff's (JSON for ``--output-format json``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import List, TextIO

from ..results import RunResult
from .summary import summary_line


def _rows(result: RunResult) -> List[dict]:
    counts = Counter(f.code for f in result.findings)
    names = {f.code: f.name for f in result.findings}
    fixable = Counter(f.code for f in result.findings if f.fixable)
    return [
        {"code": code, "name": names[code], "count": count, "fixable": fixable[code]}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def write_statistics(result: RunResult, out: TextIO, options: dict) -> None:
    rows = _rows(result)
    width = max((len(str(row["count"])) for row in rows), default=1)
    for row in rows:
        marker = "[*]" if row["fixable"] == row["count"] else "[-]" if row["fixable"] else "   "
        out.write(f"{row['count']:>{width}}\t{row['code']}\t{marker} {row['name']}\n")
    if options.get("quiet"):
        return
    out.write(summary_line(result) + "\n")


def write_statistics_json(result: RunResult, out: TextIO, options: dict) -> None:
    json.dump(_rows(result), out, indent=2)
    out.write("\n")
