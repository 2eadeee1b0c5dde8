"""Colour on a terminal only, and never when ``NO_COLOR`` is set (https://no-color.org);
``FORCE_COLOR`` turns it on where there is no terminal (CI logs that render ANSI)."""

from __future__ import annotations

import os
from typing import TextIO

BOLD, RED, CYAN, RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[0m"


def colour_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def paint(text: str, style: str, enabled: bool) -> str:
    return f"{style}{text}{RESET}" if enabled else text
