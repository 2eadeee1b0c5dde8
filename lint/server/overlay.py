"""The project index the language server keeps warm: files open in the editor are parsed from
their buffers, and a change to one file drops exactly what was computed from it.

This is the one place that looks into the index's caches. It knows them only as dicts and sets
whose keys and values name files, modules and classes: an entry that names a changed file (or a
file whose resolution looked into one) goes, whatever the cache.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional, Set

from ..index import ProjectIndex
from ..modules import ClassSummary, ModuleSummary
from ..parsing import ParseFailure, ParsedFile, parse_source
from ..source import SourceError, SourceFile, decode


def buffer_bytes(text: str) -> bytes:
    """The bytes a buffer would have on disk: UTF-8, or the encoding its coding cookie names."""
    data = text.encode("utf-8", errors="surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return data
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    try:
        return text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return data  # the file will report ZL000 for its cookie, as it would from disk


def source_from_buffer(path: Path, data: bytes):
    """A ``SourceFile`` for buffer bytes, or the ``SourceError`` that reading them raises."""
    text, encoding = decode(data)
    return SourceFile(path=path, data=data, text=text, encoding=encoding)


class OverlayIndex(ProjectIndex):
    """A ``ProjectIndex`` that reads an open file's unsaved buffer instead of the disk.

    It takes over an index the runner built (``OverlayIndex(checker.index, buffers)``), so it
    needs to know nothing of how the runner configures one."""

    def __init__(self, base: ProjectIndex, buffers: Callable[[Path], Optional[bytes]]):
        self.__dict__.update(base.__dict__)
        self._buffer_of = buffers

    def parse(self, path: Path) -> ParsedFile:
        resolved = path.resolve()
        if resolved not in self._parsed:
            data = self._buffer_of(resolved)
            if data is not None:
                try:
                    parsed = parse_source(source_from_buffer(resolved, data))
                except SourceError as exc:
                    parsed = ParsedFile(None, None, ParseFailure(str(exc)))
                self._parsed[resolved] = parsed
                self.loaded_paths.add(resolved)
                return parsed
        return super().parse(path)

    def _caches(self):
        """The index's caches: every dict or set it holds (its settings are neither)."""
        return [value for value in vars(self).values() if isinstance(value, (dict, set))]

    # -- invalidation ----------------------------------------------------------------------
    def dependents(self, changed: Iterable[Path]) -> Set[Path]:
        """``changed`` and every file whose name resolution looked into one of them, transitively."""
        reverse: Dict[Path, Set[Path]] = {}
        for source, targets in self.edges.items():
            for target in targets:
                reverse.setdefault(target, set()).add(source)
        stale = {Path(p).resolve() for p in changed}
        stack = list(stale)
        while stack:
            for importer in reverse.get(stack.pop(), ()):
                if importer not in stale:
                    stale.add(importer)
                    stack.append(importer)
        return stale

    def invalidate(self, changed: Iterable[Path]) -> Set[Path]:
        """Forget ``changed`` and everything computed from it; returns the files forgotten.

        Every cache entry that names a forgotten file (a path, a module or class summary, in its
        key or its value) goes; what is left was computed from files that did not change."""
        stale = self.dependents(changed)
        for cache in self._caches():
            if isinstance(cache, set):
                cache.difference_update(stale)
                continue
            for key in [key for key, value in cache.items() if _mentions(key, stale) or _mentions(value, stale)]:
                del cache[key]
        return stale

    def appeared(self, path: Path) -> Optional[Set[Path]]:
        """A file was created. Returns the files forgotten, or None when the index started afresh:
        it had looked for that module in vain (or found another file the new one may shadow), and
        does not know which files did the looking. A new ``__init__.py`` renames the modules below
        it, and a new folder may end a namespace package miss: both start afresh too."""
        path = Path(path).resolve()
        if (
            path.stem == "__init__"
            or not isinstance(getattr(self, "_by_name", None), dict)
            or self._namespace_missed(path)
        ):
            self.reset()
            return None
        for (root, name), found in self._by_name.items():
            rel = Path(*name.split("."))
            candidates = (
                root / rel / "__init__.py",
                root / rel.with_suffix(".py"),
                root / rel / "__init__.pyi",
                root / rel.with_suffix(".pyi"),
            )
            if path in candidates and (found is None or found.path != path):
                self.reset()
                return None
        return self.invalidate([path])

    def _namespace_missed(self, path: Path) -> bool:
        """Whether a namespace package lookup that found nothing names a folder above ``path``."""
        spaces = getattr(self, "_namespaces", None)
        if not isinstance(spaces, dict):
            return False
        above = [folder.parts for folder in path.parents]
        for key, found in spaces.items():
            if found is None:
                wanted = tuple(str(key).rpartition("|")[2].split("."))
                if any(parts[-len(wanted) :] == wanted for parts in above):
                    return True
        return False

    def disappeared(self, path: Path) -> Optional[Set[Path]]:
        """A file was deleted: as a change, except for ``__init__.py`` (see ``appeared``)."""
        path = Path(path).resolve()
        if path.stem == "__init__":
            self.reset()
            return None
        return self.invalidate([path])

    def reset(self) -> None:
        """Start afresh (the index's settings stay)."""
        for cache in self._caches():
            cache.clear()


def _mentions(value, stale: Set[Path], depth: int = 0) -> bool:
    """Whether a cache key or value refers to one of the ``stale`` files."""
    if isinstance(value, Path):
        return value in stale
    if isinstance(value, ClassSummary):
        return value.module.path in stale
    if isinstance(value, ModuleSummary):
        return value.path in stale
    if isinstance(value, (tuple, list)) and depth < 2:
        return any(_mentions(item, stale, depth + 1) for item in value)
    return False
