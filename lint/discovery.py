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


def _relative_absolute(path: str, base: str) -> Optional[str]:
    """What ``_relative`` gives for two absolute, normalised paths, on strings: the exclude test
    asks it for every file and folder of the tree."""
    if path == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not path.startswith(prefix):
        return None
    return path[len(prefix) :].replace(os.sep, "/")


class FileFilter:
    """Decides exclusion by config patterns (relative to the project root) and .gitignore files.

    Plain names (``.venv``, ``build``) are looked up in a set; only patterns with wildcards or
    slashes go through gitignore matching, which keeps discovery cheap on large trees.
    """

    def __init__(self, config: Config):
        self.root = config.project_root
        # The root as ``_relative`` compared it: a relative root never matched an absolute path.
        root = Path(config.project_root)
        self.root_text = os.fspath(root) if root.is_absolute() else None
        patterns = config.all_excludes()
        self.names = {p.rstrip("/") for p in patterns if not any(ch in p.rstrip("/") for ch in "*?[]!/\\")}
        complex_patterns = [p for p in patterns if p.rstrip("/") not in self.names]
        self.exclude = _spec(complex_patterns) if complex_patterns else None

    def excluded(self, path: Path, is_dir: bool) -> bool:
        if path.name in self.names:
            return True
        if self.exclude is None:
            return False
        rel = _relative_absolute(os.path.abspath(path), self.root_text) if self.root_text else None
        candidates = [path.name]
        if rel is not None and rel != ".":
            candidates.append(rel)
        suffix = "/" if is_dir else ""
        return any(self.exclude.match_file(c + suffix) for c in candidates)


def _load_gitignore(directory: Path) -> Optional[_IgnoreLayer]:
    gitignore = directory / ".gitignore"
    try:
        if not gitignore.is_file():
            return None
    except OSError:  # a folder we may not look into: its own listing reports it
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
    from .settings_files import Settings

    groups, warnings, _ = discover_groups(paths, Settings.fixed(config))
    files = sorted((path for _, members in groups for path in members), key=lambda p: p.as_posix())
    return files, warnings


def discover_groups(
    paths: Sequence[Path], settings
) -> Tuple[List[Tuple[Config, List[Path]]], List[str], List[Tuple[Path, str]]]:
    """The files to check grouped by the settings that apply to each (the nearest [tool.zlint]
    above it), each group sorted; warnings for paths that yielded nothing; and the files or
    folders that could not be read (path, reason), which the run reports as ZL000."""
    found: dict = {}  # absolute path -> (shown path, config)
    warnings: List[str] = []
    unreadable: List[Tuple[Path, str]] = []
    filters: dict = {}

    def filter_for(config: Config) -> FileFilter:
        if id(config) not in filters:
            filters[id(config)] = FileFilter(config)
        return filters[id(config)]

    for given in paths:
        try:
            is_file, is_dir = given.is_file(), given.is_dir()
        except OSError as exc:
            unreadable.append((given, exc.strerror or str(exc)))
            continue
        if is_file:
            config = settings.for_file(given)
            if config.force_exclude and force_excluded(given, config, filter_for(config)):
                continue
            found.setdefault(os.path.abspath(given), (given, config))
            continue
        if not is_dir:
            warnings.append(f"{given}: no such file or directory")
            continue
        config = settings.for_directory(given)
        if config.force_exclude and force_excluded(given, config, filter_for(config), is_dir=True):
            continue
        layers = _ancestor_layers(given, config.project_root) if config.respect_gitignore else []
        _walk(given, layers, settings, filter_for, found, unreadable)
    groups: dict = {}
    for shown, config in sorted(found.values(), key=lambda item: item[0].as_posix()):
        groups.setdefault(id(config), (config, []))[1].append(shown)
    return list(groups.values()), warnings, unreadable


def force_excluded(path: Path, config: Config, file_filter: FileFilter, is_dir: bool = False) -> bool:
    """``--force-exclude``: whether a path given explicitly (as pre-commit passes them) is
    excluded, by itself or by a folder between it and its project root."""
    absolute = Path(os.path.abspath(path))
    if file_filter.excluded(absolute, is_dir):
        return True
    root = Path(os.path.abspath(config.project_root))
    if root not in absolute.parents:
        return False  # outside the project: only the path itself is matched
    for parent in absolute.parents:
        if parent == root:
            break
        if file_filter.excluded(parent, True):
            return True
    return False


def _walk(
    directory: Path,
    layers: List[_IgnoreLayer],
    settings,
    filter_for,
    found: dict,
    unreadable: list,
    inherited: Optional[Config] = None,
) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        unreadable.append((directory, f"cannot read folder: {exc.strerror or exc}"))
        return
    # A folder without a pyproject.toml has its parent's settings: no lookup needed.
    if inherited is None or any(entry.name == "pyproject.toml" for entry in entries):
        config = settings.for_directory(directory)
    else:
        config = inherited
    file_filter = filter_for(config)
    use_git = config.respect_gitignore
    if use_git:
        try:
            layer = _load_gitignore(directory)
        except OSError:
            layer = None
        if layer:
            layers = layers + [layer]
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = entry.is_file()
        except OSError as exc:
            if path.suffix in PYTHON_SUFFIXES:
                unreadable.append((path, f"cannot read file: {exc.strerror or exc}"))
            continue
        if is_dir:
            if file_filter.excluded(path, True) or (use_git and _gitignored(path, True, layers)):
                continue
            _walk(path, layers, settings, filter_for, found, unreadable, config)
        elif is_file and path.suffix in PYTHON_SUFFIXES:
            if file_filter.excluded(path, False) or (use_git and _gitignored(path, False, layers)):
                continue
            found.setdefault(os.path.abspath(entry.path), (path, config))
