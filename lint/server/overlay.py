"""The project index the language server keeps warm: files open in the editor are parsed from
their buffers, and a change to one file drops exactly what was computed from it.

This is the one place that knows the index's internal caches. If the index grows a cache this
module does not know, ``invalidate`` falls back to starting the index afresh: slower, never stale.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional, Set

from ..index import ProjectIndex
from ..parsing import ParsedFile, parse_source
from ..source import SourceError, SourceFile, decode

# The caches this module knows how to prune; anything else on the index means "start afresh".
_KNOWN_CACHES = {"_parsed", "_summaries", "_by_name", "_module_class", "_submodules", "_analyses", "edges", "loaded_paths"}


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
    """A ``ProjectIndex`` that reads an open file's unsaved buffer instead of the disk."""

    def __init__(self, search_roots, buffers: Callable[[Path], Optional[bytes]], whole_modules: bool = False):
        super().__init__(search_roots, whole_modules=whole_modules)
        self._buffer_of = buffers
        self._roots = list(search_roots)

    def parse(self, path: Path) -> ParsedFile:
        resolved = path.resolve()
        if resolved not in self._parsed:
            data = self._buffer_of(resolved)
            if data is not None:
                try:
                    parsed = parse_source(source_from_buffer(resolved, data))
                except SourceError as exc:
                    from ..parsing import ParseFailure

                    parsed = ParsedFile(None, None, ParseFailure(str(exc)))
                self._parsed[resolved] = parsed
                self.loaded_paths.add(resolved)
                return parsed
        return super().parse(path)

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
        """Forget ``changed`` and everything computed from it; returns the files forgotten."""
        stale = self.dependents(changed)
        if not stale:
            return stale
        caches = {name for name, value in vars(self).items() if isinstance(value, (dict, set))}
        if caches != _KNOWN_CACHES:
            self.reset()
            return stale
        for path in stale:
            self._parsed.pop(path, None)
            self._summaries.pop(path, None)
            self.edges.pop(path, None)
            self.loaded_paths.discard(path)
        self._by_name = {key: found for key, found in self._by_name.items() if found is None or found.path not in stale}
        for cache in (self._module_class, self._submodules, self._analyses):
            for cls in [cls for cls in cache if cls.module.path in stale]:
                del cache[cls]
        return stale

    def appeared(self, path: Path) -> Optional[Set[Path]]:
        """A file was created. Returns the files forgotten, or None when the index started afresh:
        it had looked for that module in vain (or found one the new file now shadows), and does
        not know which files did the looking. A new ``__init__.py`` renames the modules below it."""
        path = Path(path).resolve()
        if path.stem == "__init__":
            self.reset()
            return None
        for (root, name), found in self._by_name.items():
            rel = Path(*name.split("."))
            candidates = [root / rel.with_suffix(".py"), root / rel / "__init__.py", root / rel.with_suffix(".pyi")]
            if path in candidates and (found is None or found.path not in candidates
                                       or candidates.index(path) < candidates.index(found.path)):
                self.reset()
                return None
        return self.invalidate([path])

    def disappeared(self, path: Path) -> Optional[Set[Path]]:
        """A file was deleted: as a change, except for ``__init__.py`` (see ``appeared``)."""
        path = Path(path).resolve()
        if path.stem == "__init__":
            self.reset()
            return None
        return self.invalidate([path])

    def reset(self) -> None:
        """Start afresh: for files created or deleted (a module that was missing may now be found)."""
        ProjectIndex.__init__(self, self._roots, whole_modules=self.whole_modules)
