"""What a run produces: each file's result, the run's result, and an error inside zlint.

Plain data, below the runner, the cache, the fixer and the reporters, which all read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional

from .findings import Finding

if TYPE_CHECKING:
    from .index import ProjectIndex


@dataclass(frozen=True)
class InternalError:
    path: str
    rule: str
    message: str


@dataclass
class FileResult:
    path: Path
    findings: List[Finding] = field(default_factory=list)
    suppressed: List[Finding] = field(default_factory=list)
    internal_errors: List[InternalError] = field(default_factory=list)
    deps: List[str] = field(default_factory=list)
    analysed: bool = False  # passed the pre-filter and went through the rules
    source_text: Optional[str] = None  # the text the rules read, kept when there are findings
    # What the cache records (filled when it is on): the stamp of the bytes that were analysed,
    # [mtime_ns, size, sha256, taken_ns], and the same for each dependency as it was read.
    stamp: Optional[list] = None
    dep_stamps: Dict[str, Optional[list]] = field(default_factory=dict)
    # Paths whose appearance would change this result (an import that found nothing there, a
    # module that a new file would shadow): the cache re-checks the file when any one exists.
    missing: List[str] = field(default_factory=list)
    # Profiling only (ZLINT_PROFILE_STAGES): seconds per stage this file took in a worker.
    stage_times: Optional[Dict[str, float]] = None


@dataclass
class RunResult:
    findings: List[Finding] = field(default_factory=list)
    suppressed: List[Finding] = field(default_factory=list)
    internal_errors: List[InternalError] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    files_checked: int = 0
    files_analysed: int = 0
    files_from_cache: int = 0
    index: Optional[ProjectIndex] = None
    # The text each reported file had when it was read (shown path -> text): reporters and
    # baselines use it instead of reading the disk again (standard input has no file on disk).
    sources: Dict[str, str] = field(default_factory=dict)


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, else absolute."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:  # on another drive
        return absolute
    return absolute if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative
