"""Which files to check: Python files under the given paths, minus excludes and ignored files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

import pathspec

from .config import Config

PYTHON_SUFFIXES = (".py", ".pyi")


def _spec(patterns: Iterable[str]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


@dataclass
class _IgnoreLayer:
    base: Path
    spec: pathspec.PathSpec


def _relative(path: Path, base: Path) -> Optional[str]:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return None


class FileFilter:
    """Decides exclusion by config patterns (relative to the project root) and .gitignore files.

    Plain names (``.venv``, ``build``) are looked up in a set; only patterns with wildcards or
    slashes go through gitignore matching, which keeps discovery cheap on large trees.
    """

    def __init__(self, config: Config):
        self.root = config.project_root
        patterns = config.all_excludes()
        self.names = {p.rstrip("/") for p in patterns if not any(ch in p.rstrip("/") for ch in "*?[]!/\\")}
        complex_patterns = [p for p in patterns if p.rstrip("/") not in self.names]
        self.exclude = _spec(complex_patterns) if complex_patterns else None

    def excluded(self, path: Path, is_dir: bool) -> bool:
        if path.name in self.names:
            return True
        if self.exclude is None:
            return False
        rel = _relative(Path(os.path.abspath(path)), self.root)
        candidates = [path.name]
        if rel is not None and rel != ".":
            candidates.append(rel)
        suffix = "/" if is_dir else ""
        return any(self.exclude.match_file(c + suffix) for c in candidates)


def _load_gitignore(directory: Path) -> Optional[_IgnoreLayer]:
    gitignore = directory / ".gitignore"
    if not gitignore.is_file():
        return None
    try:
        lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return _IgnoreLayer(directory, _spec(lines))


def _gitignored(path: Path, is_dir: bool, layers: Sequence[_IgnoreLayer]) -> bool:
    ignored = False
    for layer in layers:
        rel = _relative(path, layer.base)
        if rel is None:
            continue
        result = layer.spec.check_file(rel + ("/" if is_dir else ""))
        if result.include is not None:
            ignored = result.include
    return ignored


def _ancestor_layers(directory: Path, stop: Path) -> List[_IgnoreLayer]:
    """.gitignore files in the ancestors of ``directory`` up to the project root."""
    layers: List[_IgnoreLayer] = []
    chain = []
    current = directory.resolve()
    stop = stop.resolve()
    while True:
        chain.append(current)
        if current == stop or current.parent == current:
            break
        current = current.parent
    if stop not in chain:
        chain = [directory.resolve()]
    for ancestor in reversed(chain[1:]):
        layer = _load_gitignore(ancestor)
        if layer:
            layers.append(layer)
    return layers


def discover(paths: Sequence[Path], config: Config) -> Tuple[List[Path], List[str]]:
    """Return the files to check (sorted, unique) and warnings for paths that yielded nothing."""
    file_filter = FileFilter(config)
    found: dict = {}
    warnings: List[str] = []
    for given in paths:
        if given.is_file():
            found.setdefault(os.path.abspath(given), given)
            continue
        if not given.is_dir():
            warnings.append(f"{given}: no such file or directory")
            continue
        layers = _ancestor_layers(given, config.project_root) if config.respect_gitignore else []
        _walk(given, layers, file_filter, config.respect_gitignore, found)
    files = sorted(found.values(), key=lambda p: p.as_posix())
    return files, warnings


def _walk(directory: Path, layers: List[_IgnoreLayer], file_filter: FileFilter, use_git: bool, found: dict) -> None:
    if use_git:
        layer = _load_gitignore(directory)
        if layer:
            layers = layers + [layer]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = entry.is_file()
        except OSError:
            continue
        if is_dir:
            if file_filter.excluded(path, True) or (use_git and _gitignored(path, True, layers)):
                continue
            _walk(path, layers, file_filter, use_git, found)
        elif is_file and path.suffix in PYTHON_SUFFIXES:
            if file_filter.excluded(path, False) or (use_git and _gitignored(path, False, layers)):
                continue
            found.setdefault(os.path.abspath(entry.path), path)
