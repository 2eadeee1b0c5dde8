"""Files a fix must never edit: excluded by configuration, or marked ``# zlint: ignore-file``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from ..suppression import WHOLE_FILE, suppressions

FIX_CODES = ("ZL001", "ZL002", "ZL003", "ZL004")


def protected_reason(path: Path, text: Optional[str], config) -> Optional[str]:
    """Why the fix may not edit ``path``, or None when it may."""
    if text is not None:
        codes = suppressions(text).get(WHOLE_FILE)
        if codes and ("*" in codes or any(code in codes for code in FIX_CODES)):
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
