"""``zlint fix``: plan every selected fix, render all files, then write all of them or none."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ..config import Config
from ..findings import Finding
from ..results import RunResult, display_path
from ..runner import check_paths
from .apply import FileEdit, build_edits, write_all
from .plan_data import FixPlan


@dataclass
class FixOutcome:
    edits: List[FileEdit]
    applied: List[Finding]
    before: RunResult
    skipped_unsafe: int = 0
    refused: List[Tuple[Finding, str]] = field(default_factory=list)  # findings left as they are, and why
    after: Optional[RunResult] = None  # the check after the edits were written (zlint.api.fix)

    def changed_files(self) -> List[str]:
        return [display_path(edit.path) for edit in self.edits]


def plan_fixes(
    paths: Sequence[Path], config: Config, unsafe: bool = False, settings=None, file_timeout=None
) -> FixOutcome:
    result = check_paths(paths, config, keep_plans=True, settings=settings, file_timeout=file_timeout)
    candidates = [f for f in result.findings if f.fix_plan is not None and (f.fixable or unsafe)]
    skipped = sum(1 for f in result.findings if f.fix_applicability == "unsafe" and not unsafe)
    refused: List[Tuple[Finding, str]] = []
    for finding in result.findings:
        if finding.fix_applicability == "unsafe" and not unsafe:
            refused.append((finding, f"unsafe, applied only with --unsafe-fixes: {finding.fix_note}"))
        elif finding.fix_plan is None and finding.fix_note:
            refused.append((finding, finding.fix_note))
    plan = FixPlan()
    chosen = []
    for finding in candidates:
        assert finding.fix_plan is not None  # candidates all have one
        conflict = plan.conflict(finding.fix_plan)
        if conflict is not None:
            refused.append(
                (finding, f"no fix: it conflicts with another fix in this run ({conflict}); run zlint fix again")
            )
            continue
        plan.merge(finding.fix_plan)
        chosen.append(finding)
    originals: Dict[Path, bytes] = {}
    for summary in plan.files.values():
        assert result.index is not None  # check_paths keeps its index when it keeps plans
        parsed = result.index.parse(summary.path)
        assert parsed.source is not None  # it parsed, so it was read
        originals[summary.path] = parsed.source.data
    edits = build_edits(plan, originals, config.project_root)
    refused.sort(key=lambda item: item[0].sort_key())
    return FixOutcome(edits, chosen, result, skipped, refused)


def apply_fixes(outcome: FixOutcome, root=None) -> None:
    write_all(outcome.edits, root)


def unified_diff(edits: Sequence[FileEdit]) -> str:
    chunks: List[str] = []
    for edit in edits:
        shown = display_path(edit.path)
        old = edit.old.decode("utf-8", errors="replace").splitlines(keepends=True)
        new = edit.new.decode("utf-8", errors="replace").splitlines(keepends=True)
        before, after = (shown, shown) if os.path.isabs(shown) else (f"a/{shown}", f"b/{shown}")
        chunks.extend(difflib.unified_diff(old, new, fromfile=before, tofile=after))
    return "".join(chunks)
