"""The language server's one door into the fixer: merge the plans of some findings and render
the new content of every file they change. (``zlint fix`` plans the same way; this module only
adapts it to files that may be open, unsaved, in an editor.)"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

from ..findings import Finding
from .overlay import OverlayIndex


@dataclass(frozen=True)
class NewContent:
    path: Path
    old: bytes
    new: bytes


class FixRefused(Exception):
    """The fix cannot be rendered; the message says why, for the user."""


def render(findings: Sequence[Finding], index: OverlayIndex, root: Path) -> List[NewContent]:
    """The new bytes of each file the fixes of ``findings`` change (together, as one edit)."""
    # Imported on the first code action: the renderer pulls in LibCST's codemods (half a second).
    from ..fix.apply import FixError, build_edits
    from ..fix.plan_data import FixPlan

    plan = FixPlan()
    for finding in findings:
        if finding.fix_plan is None:
            raise FixRefused(finding.fix_note or f"{finding.code} has no automatic fix here")
        plan.merge(finding.fix_plan)
    originals = {}
    for summary in plan.files.values():
        parsed = index.parse(summary.path)
        if parsed.source is None:
            raise FixRefused(f"cannot read {summary.path}")
        originals[summary.path] = parsed.source.data
    try:
        edits = build_edits(plan, originals, root)
    except FixError as exc:
        raise FixRefused(str(exc)) from None
    return [NewContent(edit.path, edit.old, edit.new) for edit in edits]
