"""``zlint fix``: plan every selected fix, render all files, then write all of them or none."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

from ..config import Config
from ..findings import Finding
from ..runner import RunResult, check_paths, display_path
from .apply import FileEdit, build_edits, write_all
from .plan import FixPlan


@dataclass
class FixOutcome:
    edits: List[FileEdit]
    applied: List[Finding]
    before: RunResult
    skipped_unsafe: int = 0


def plan_fixes(paths: Sequence[Path], config: Config, unsafe: bool = False, settings=None) -> FixOutcome:
    result = check_paths(paths, config, keep_plans=True, settings=settings)
    chosen = [f for f in result.findings if f.fix_plan is not None and (f.fixable or unsafe)]
    skipped = sum(1 for f in result.findings if f.fix_applicability == "unsafe" and not unsafe)
    plan = FixPlan()
    for finding in chosen:
        plan.merge(finding.fix_plan)
    originals: Dict[Path, bytes] = {}
    for summary in plan.files.values():
        parsed = result.index.parse(summary.path)
        originals[summary.path] = parsed.source.data
    edits = build_edits(plan, originals, config.project_root)
    return FixOutcome(edits, chosen, result, skipped)


def apply_fixes(outcome: FixOutcome) -> None:
    write_all(outcome.edits)


def unified_diff(edits: Sequence[FileEdit]) -> str:
    chunks = []
    for edit in edits:
        shown = display_path(edit.path)
        old = edit.old.decode("utf-8", errors="replace").splitlines(keepends=True)
        new = edit.new.decode("utf-8", errors="replace").splitlines(keepends=True)
        before, after = (shown, shown) if os.path.isabs(shown) else (f"a/{shown}", f"b/{shown}")
        chunks.extend(difflib.unified_diff(old, new, fromfile=before, tofile=after))
    return "".join(chunks)
