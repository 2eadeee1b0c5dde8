"""Guard reports: what the runtime guard recorded, and merging it into static findings.

This module does not need torch: ``zlint check --runtime-report FILE`` reads a report that a
guarded run (``zlint.guard``, or ``pytest --zlint-guard``) wrote.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Tuple

from .findings import Finding, Position


class ReportError(Exception):
    """A runtime report that cannot be read; exit code 2."""


@dataclass(frozen=True)
class GuardRecord:
    code: str  # ZL001 or ZL002
    filename: str
    line: int
    module_path: str
    module_class: str
    attribute: str
    running: str  # the class whose forward was running

    def describe(self) -> str:
        return (
            f"{self.filename}:{self.line}: {self.code} `{self.running}.forward` set `{self.attribute}` on "
            f"`{self.module_path or '<root>'}` ({self.module_class}) at forward time"
        )


def load_report(path: Path) -> List[GuardRecord]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        return [GuardRecord(**record) for record in document["records"]]
    except OSError as exc:
        raise ReportError(f"cannot read runtime report {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{path} is not a zlint runtime report: {exc}") from None


_NAMES = {"ZL001": "submodule-state-mutation-in-forward", "ZL002": "setattr-on-submodule-in-forward"}


def merge(findings: List[Finding], records: List[GuardRecord], checked: List[str]) -> List[Finding]:
    """Mark static findings the guard confirmed; add what only the guard saw, with why."""
    from zlint.rules import ALL_RULES

    from .rule import WRITE_KINDS

    write_codes = {rule.code for rule in ALL_RULES if rule.claims & WRITE_KINDS}
    display = {os.path.abspath(p): p for p in checked}
    merged = list(findings)
    by_place: Dict[Tuple[str, int], List[int]] = {}
    for index, finding in enumerate(merged):
        by_place.setdefault((os.path.abspath(finding.path), finding.start.line), []).append(index)
    grouped: Dict[Tuple[str, int, str, str], List] = {}
    for record in records:  # one finding per place, naming every module the write reached
        key = (os.path.abspath(record.filename), record.line, record.code, record.attribute)
        grouped.setdefault(key, []).append(record)
    for (_, _, _, _), group in sorted(grouped.items()):
        record = group[0]
        paths = ", ".join(f"`{r.module_path}`" for r in group)
        place = (os.path.abspath(record.filename), record.line)
        hits = [i for i in by_place.get(place, []) if merged[i].code in write_codes]
        if hits:
            for i in hits:
                if not merged[i].confirmed:
                    merged[i] = replace(
                        merged[i], confirmed=True, message=merged[i].message + " (confirmed at run time)"
                    )
            continue
        shown = display.get(place[0])
        if shown is None:
            shown = os.path.relpath(record.filename) if not record.filename.startswith("<") else record.filename
            why = "the file was not among the checked paths"
        else:
            why = (
                "static analysis could not resolve the module this write reaches "
                "(factory, registry or code outside the tree)"
            )
        message = (
            f"`{record.running}.forward` sets `{record.attribute}` on {paths} "
            f"({record.module_class}) at forward time; seen only at run time: {why}"
        )
        merged.append(
            Finding(
                code=record.code,
                name=_NAMES.get(record.code, record.code),
                message=message,
                path=shown,
                start=Position(record.line, 1),
                end=Position(record.line, 1),
                confirmed=True,
                runtime_only=True,
                suppression_lines=(record.line,),
            )
        )
    merged.sort(key=Finding.sort_key)
    return merged
