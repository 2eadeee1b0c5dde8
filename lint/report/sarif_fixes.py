"""SARIF ``fixes`` for a run that used the cache and the workers: a second pass, in this
process, over only the files that have fixable findings, planning their fixes (LibCST parses of
those files and of the files the fixes reach, nothing else)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Tuple

from ..runner import RunResult

FindingKey = Tuple[str, int, int, str]


def finding_key(finding) -> FindingKey:
    return (os.path.abspath(finding.path), finding.start.line, finding.start.column, finding.code)


def fix_changes(run: RunResult, settings) -> Dict[FindingKey, list]:
    """For each finding with a safe fix, its fix as edits: each touched file's path, old bytes
    and new bytes. Findings whose fix cannot be built are left without one."""
    from ..fix.apply import FixError, build_edits
    from ..runner import check_paths

    fixable = [f for f in run.findings + run.suppressed if f.fixable]
    if not fixable:
        return {}
    files = sorted({os.path.abspath(f.path) for f in fixable})
    wanted = {finding_key(f) for f in fixable}
    first = settings.for_file(Path(files[0]))
    planned = check_paths([Path(p) for p in files], first, keep_plans=True, progress=False, settings=settings)
    changes: Dict[FindingKey, list] = {}
    for finding in planned.findings + planned.suppressed:
        key = finding_key(finding)
        if key not in wanted or finding.fix_plan is None:
            continue
        try:
            originals = {s.path: planned.index.parse(s.path).source.data for s in finding.fix_plan.files.values()}
            changes[key] = build_edits(finding.fix_plan, originals)
        except (FixError, OSError, AttributeError):
            continue
    return changes
