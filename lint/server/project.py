"""One project as the language server sees it: its settings, a warm index for diagnostics, a
warm index with fix plans for code actions, and each open file's last results."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional, Set

from ..config import Config
from ..discovery import FileFilter
from ..results import FileResult, InternalError
from ..runner import FileChecker
from ..selection import selected_codes
from .overlay import OverlayIndex

Buffers = Callable[[Path], Optional[bytes]]


class Project:
    """Files under one ``[tool.zlint]`` configuration (or one workspace folder without one)."""

    def __init__(self, config: Config, buffers: Buffers):
        from zlint.rules import ALL_RULES

        self.config = config
        self.buffers = buffers
        self.rule_classes = list(ALL_RULES)
        self.codes = selected_codes(config, self.rule_classes)  # raises ConfigError on a bad selector
        self.filter = FileFilter(config)
        self._lint = self._checker(keep_plans=False)
        self._fix: Optional[FileChecker] = None  # built on the first code action
        self._results: Dict[Path, FileResult] = {}
        self._fix_results: Dict[Path, FileResult] = {}

    def _checker(self, keep_plans: bool) -> FileChecker:  # its index is an OverlayIndex
        checker = FileChecker(self.config, self.rule_classes, self.codes, keep_plans=keep_plans)
        checker.index = OverlayIndex(checker.index, self.buffers)
        return checker

    def excluded(self, path: Path) -> bool:
        """Whether ``exclude`` / ``extend-exclude`` leave ``path`` out (checked from the project
        root down, as a run over the project would)."""
        path = Path(os.path.abspath(path))
        try:
            parts = path.relative_to(self.config.project_root).parts
        except ValueError:
            return self.filter.excluded(path, False)
        current = self.config.project_root
        for part in parts[:-1]:
            current = current / part
            if self.filter.excluded(current, True):
                return True
        return self.filter.excluded(path, False)

    # -- results -----------------------------------------------------------------------------
    def check(self, path: Path) -> FileResult:
        """The findings of ``path`` (its buffer when open), from the last check while nothing it
        depends on has changed."""
        return self._cached(self._lint, self._results, path)

    def check_with_plans(self, path: Path) -> FileResult:
        """As ``check``, with each finding's fix plan (for code actions)."""
        if self._fix is None:
            self._fix = self._checker(keep_plans=True)
        return self._cached(self._fix, self._fix_results, path)

    @property
    def fix_index(self) -> OverlayIndex:
        assert self._fix is not None  # asked for only after a code action built it
        return _overlay(self._fix)

    def _cached(self, checker: FileChecker, results: Dict[Path, FileResult], path: Path) -> FileResult:
        key = path.resolve()
        found = results.get(key)
        if found is None:
            found = self._run(checker, key)
            results[key] = found
        return found

    def _run(self, checker: FileChecker, path: Path) -> FileResult:
        data = self.buffers(path)
        try:
            return checker.check(path, data=data, shown=str(path))
        except Exception as exc:  # one bad file must not take the server down
            _overlay(checker).invalidate([path])
            error = InternalError(str(path), "zlint", f"{type(exc).__name__}: {exc}")
            return FileResult(path, internal_errors=[error])

    # -- invalidation ------------------------------------------------------------------------
    def changed(self, paths: Iterable[Path]) -> Set[Path]:
        """Forget what was computed from ``paths``; returns every file whose results were dropped."""
        paths = [Path(p).resolve() for p in paths]
        stale = _overlay(self._lint).invalidate(paths)
        for path in stale:
            self._results.pop(path, None)
        if self._fix is not None:
            fix_stale = _overlay(self._fix).invalidate(paths)
            for path in fix_stale:
                self._fix_results.pop(path, None)
            stale |= fix_stale
        return stale

    def created_or_deleted(self, path: Path, created: bool) -> Optional[Set[Path]]:
        """A Python file appeared or went away; returns the files whose results were dropped, or
        None when everything was (the index could not tell who had looked for that module)."""
        stale: Optional[Set[Path]] = set()
        for checker, results in ((self._lint, self._results), (self._fix, self._fix_results)):
            if checker is None:
                continue
            index = _overlay(checker)
            dropped = index.appeared(path) if created else index.disappeared(path)
            if dropped is None:
                results.clear()
                stale = None
            else:
                for item in dropped:
                    results.pop(item, None)
                if stale is not None:
                    stale |= dropped
        return stale


def _overlay(checker: FileChecker) -> OverlayIndex:
    """The checker's index, which ``_checker`` made an ``OverlayIndex``."""
    index = checker.index
    assert isinstance(index, OverlayIndex)
    return index
