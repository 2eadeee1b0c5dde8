"""Code actions for findings: the fix as one workspace edit over every file it changes, fix all
in a file, and a suppression comment on the finding's line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from lsprotocol import types

from ..findings import Finding
from ..source import decode
from .convert import Units, diagnostic, replacement
from .fixes import FixRefused, NewContent, render

FIX_ALL_KIND = "source.fixAll.zlint"
_IGNORE_COMMENT = re.compile(r"#\s*zlint:\s*ignore\[(?P<codes>[^\]]*)\]", re.IGNORECASE)


class EditTarget:
    """How the server names a file in an edit: its URI and, when open, its buffer version."""

    def __init__(self, uri_of: Callable[[Path], str], version_of: Callable[[Path], Optional[int]], encoding):
        self.uri_of = uri_of
        self.version_of = version_of
        self.encoding = encoding

    def workspace_edit(self, contents: Sequence[NewContent]) -> types.WorkspaceEdit:
        changes = []
        for content in contents:
            old_text, _ = decode(content.old)
            new_text, _ = decode(content.new)
            edit = replacement(old_text, new_text, self.encoding)
            if edit is None:
                continue
            document = types.OptionalVersionedTextDocumentIdentifier(
                uri=self.uri_of(content.path), version=self.version_of(content.path)
            )
            changes.append(types.TextDocumentEdit(text_document=document, edits=[edit]))
        return types.WorkspaceEdit(document_changes=changes)


def overlaps(finding: Finding, start_line: int, end_line: int) -> bool:
    """Whether the finding's lines (from 1) meet the requested lines (from 0)."""
    return finding.start.line - 1 <= end_line and finding.end.line - 1 >= start_line


def fix_action(finding: Finding, render_fix, target: EditTarget, units: Units, disabled_support: bool):
    """The fix of one finding, or, when there is none, a disabled action whose title says why."""
    diag = diagnostic(finding, units)
    unsafe = finding.fix_applicability == "unsafe"
    if finding.fix_plan is not None and (finding.fixable or unsafe):
        try:
            contents = render_fix([finding])
        except FixRefused as exc:
            return _refused(finding, str(exc), diag, disabled_support)
        label = finding.fix_title or f"Fix {finding.code}"
        title = f"{label} (unsafe: {finding.fix_note})" if unsafe and finding.fix_note else label
        files = len(contents)
        if files > 1:
            title += f" [{files} files]"
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diag],
            edit=target.workspace_edit(contents),
            is_preferred=not unsafe,
        )
    return _refused(finding, finding.fix_note or "this rule has no automatic fix", diag, disabled_support)


def _refused(finding: Finding, reason: str, diag, disabled_support: bool):
    if not disabled_support:
        return None  # the diagnostic's message already carries the reason
    return types.CodeAction(
        title=f"zlint cannot fix {finding.code}: {reason}",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diag],
        disabled=types.CodeActionDisabled(reason=reason),
    )


def fix_all_action(findings: Sequence[Finding], render_fix, target: EditTarget) -> Optional[types.CodeAction]:
    """Every safe fix in the file, as one edit; None when there is nothing to fix."""
    fixable = [f for f in findings if f.fixable and f.fix_plan is not None]
    if not fixable:
        return None
    try:
        contents = render_fix(fixable)
    except FixRefused:
        # One fix spoils the batch: keep those that render on their own.
        kept: List[Finding] = []
        for finding in fixable:
            try:
                render_fix(kept + [finding])
            except FixRefused:
                continue
            kept.append(finding)
        if not kept:
            return None
        fixable, contents = kept, render_fix(kept)
    count = len(fixable)
    return types.CodeAction(
        title=f"zlint: fix all in this file ({count} finding{'s' if count != 1 else ''})",
        kind=FIX_ALL_KIND,
        edit=target.workspace_edit(contents),
    )


def ignore_action(finding: Finding, text_lines: List[str], uri: str, version: Optional[int], units: Units):
    """``# zlint: ignore[CODE]`` at the end of the finding's statement (its last line, where a
    comment can always stand), merged into an ignore comment already there."""
    line = (finding.suppression_lines or (finding.start.line,))[-1]
    index = line - 1
    if index >= len(text_lines):
        return None
    current = text_lines[index]
    existing = _IGNORE_COMMENT.search(current)
    if existing is not None:
        codes = [c.strip() for c in existing.group("codes").split(",") if c.strip()]
        merged = ", ".join(codes + [finding.code])
        start, end = existing.span("codes")
        edit = types.TextEdit(
            range=types.Range(start=units.position(line, start + 1), end=units.position(line, end + 1)),
            new_text=merged,
        )
    else:
        stripped = current.rstrip()
        at = units.position(line, len(stripped) + 1)
        edit = types.TextEdit(
            range=types.Range(start=at, end=units.line_end(index)),
            new_text=f"  # zlint: ignore[{finding.code}]",
        )
    document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    return types.CodeAction(
        title=f"Ignore {finding.code} on this line",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic(finding, units)],
        edit=types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=[edit])]),
    )


def renderer(findings_index, root: Path):
    """``render_fix(findings)`` over one project's fix index."""
    return lambda chosen: render(chosen, findings_index, root)
