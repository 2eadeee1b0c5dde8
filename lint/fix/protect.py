"""Files a fix must never edit: excluded by configuration, or marked ``# zlint: ignore-file``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from ..suppression import WHOLE_FILE, suppressions


def fix_codes():
    """The rules whose findings a fix edits: a file marked ignore-file for any of them is not edited."""
    from zlint.rules import ALL_RULES

    return tuple(rule.code for rule in ALL_RULES if rule.fixable)


def protected_reason(path: Path, text: Optional[str], config) -> Optional[str]:
    """Why the fix may not edit ``path``, or None when it may."""
    if text is not None:
        codes = suppressions(text).get(WHOLE_FILE)
        if codes and ("*" in codes or any(code in codes for code in fix_codes())):
            return "is marked `# zlint: ignore-file`"
    if config is None:
        return None
    from ..discovery import FileFilter

    file_filter = FileFilter(config)
    absolute = Path(os.path.abspath(path))
    root = Path(os.path.abspath(config.project_root))
    if file_filter.excluded(absolute, False):
        return "is excluded by configuration"
    for parent in absolute.parents:
        if parent == root or root not in parent.parents:
            break
        if file_filter.excluded(parent, True):
            return "is excluded by configuration"
    return None
