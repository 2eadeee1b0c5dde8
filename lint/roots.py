"""The import model: which folders are import roots (zlint's ``sys.path``) and each file's module name.

It is computed once per run from the project's settings, never from the order in which files are
read, so the same tree gives the same module names however zlint is started:

- Roots are the ``src`` setting when it is given; otherwise the project root (the folder of the
  nearest ``pyproject.toml``, ``setup.cfg`` or ``.git``) and its ``src/`` and ``python/`` folders
  when they exist.
- A file that lies inside a package (a folder with ``__init__.py``, up to the project root) is
  named from the parent of its top-level package. Folders between that package and the file may
  lack ``__init__.py`` (PEP 420 namespace portions, as in ``sglang/srt/models/``); they never
  become roots of their own, so ``sglang/srt/models/transformers.py`` is
  ``sglang.srt.models.transformers`` and cannot shadow the real ``transformers``.
- Any other file is named from the nearest root above it, and a file outside every root from its
  own folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
PACKAGE_MARKERS = ("__init__.py", "__init__.pyi")


def _is_package_dir(directory: Path) -> bool:
    return any(os.path.isfile(directory / marker) for marker in PACKAGE_MARKERS)


def find_project_root(start: Path) -> Optional[Path]:
    """The nearest folder at or above ``start`` holding a project marker, or None."""
    current = start.resolve()
    if not current.is_dir():
        current = current.parent
    for directory in (current, *current.parents):
        if any(os.path.exists(directory / marker) for marker in PROJECT_MARKERS):
            return directory
    return None


def top_package(directory: Path, boundary: Optional[Path]) -> Optional[Path]:
    """The highest folder at or above ``directory`` that is a regular package, not looking above
    ``boundary`` (the project root) when ``directory`` lies below it."""
    directory = directory.resolve()
    chain = [directory, *directory.parents]
    if boundary is not None and (directory == boundary or boundary in directory.parents):
        chain = chain[: chain.index(boundary) + 1]
    top = None
    for folder in chain:
        if _is_package_dir(folder):
            top = folder
    return top


def default_project_root(start: Path) -> Path:
    """Where the project starts when no marker is found: the parent of the top-level package
    holding ``start``, else ``start`` itself. It never depends on the working directory."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    top = top_package(folder, None)
    return top.parent if top is not None else folder


class ImportRoots:
    """Import roots of one project and the module names of its files."""

    def __init__(self, project_root: Path, src: Sequence[Path] = ()):
        self.project_root = Path(project_root).resolve()
        if src:
            roots = [Path(p).resolve() for p in src]
        else:
            roots = [self.project_root]
            roots += [self.project_root / sub for sub in ("src", "python") if (self.project_root / sub).is_dir()]
        self.roots: Tuple[Path, ...] = tuple(dict.fromkeys(roots))
        self._tops: Dict[Path, Optional[Path]] = {}

    def __getstate__(self):
        return {"project_root": self.project_root, "roots": self.roots}

    def __setstate__(self, state):
        self.project_root = state["project_root"]
        self.roots = state["roots"]
        self._tops = {}

    def __repr__(self) -> str:
        return f"ImportRoots({[str(r) for r in self.roots]})"

    def _top(self, directory: Path) -> Optional[Path]:
        if directory not in self._tops:
            self._tops[directory] = top_package(directory, self.project_root)
        return self._tops[directory]

    def root_of(self, path: Path) -> Path:
        """The import root a file's module name is taken from."""
        path = path.resolve()
        candidates: List[Path] = [root for root in self.roots if root in path.parents]
        top = self._top(path.parent)
        if top is not None:
            candidates.append(top.parent)
        if not candidates:
            return path.parent
        return max(candidates, key=lambda root: len(root.parts))

    def module_name(self, path: Path) -> Tuple[str, bool, Path]:
        """Dotted module name, whether the file is a package ``__init__``, and its import root."""
        path = path.resolve()
        root = self.root_of(path)
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = bool(parts) and parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts) or path.parent.name
        return name, is_package, root

    def search_order(self, near_root: Optional[Path]) -> Iterable[Path]:
        """Roots in the order an absolute import searches them from a module under ``near_root``:
        its own root first (two trees that both have a ``pkg`` each see their own), then the
        project's roots."""
        seen = set()
        for root in ((near_root,) if near_root is not None else ()) + self.roots:
            if root not in seen:
                seen.add(root)
                yield root


def lone_file_roots(path: Path) -> ImportRoots:
    """An import model for a file checked outside any run (tests, tools)."""
    root = find_project_root(path) or default_project_root(path)
    return ImportRoots(root)
