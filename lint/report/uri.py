"""Paths as SARIF wants them: relative to one root (the git repository's top folder when there
is one, else the project root), percent-encoded, with the root itself given as a file URI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Tuple
from urllib.parse import quote

ROOT_ID = "SRCROOT"


def repository_root(project_root: Path) -> Path:
    """The nearest folder at or above ``project_root`` holding ``.git`` (a folder, or a file in a
    worktree or submodule); the project root itself when there is none."""
    start = Path(os.path.abspath(project_root))
    for directory in (start, *start.parents):
        try:
            if (directory / ".git").exists():
                return directory
        except OSError:
            continue
    return start


def root_uri(root: Path) -> str:
    """The root as a ``file:`` URI ending in ``/`` (``originalUriBaseIds`` needs the slash)."""
    uri = Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def artifact_location(path: str, root: Path) -> dict:
    """``{"uri": ..., "uriBaseId": "SRCROOT"}`` for a file under ``root``; an absolute ``file:``
    URI (no base) for one outside it."""
    relative = relative_uri(path, root)
    if relative is not None:
        return {"uri": relative, "uriBaseId": ROOT_ID}
    return {"uri": Path(os.path.abspath(path)).as_uri()}


def relative_uri(path: str, root: Path) -> Optional[str]:
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(root))
    except ValueError:  # another drive
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return quote(Path(relative).as_posix(), safe="/")


def split_root(path: str, root: Path) -> Tuple[str, Optional[str]]:
    location = artifact_location(path, root)
    return location["uri"], location.get("uriBaseId")
