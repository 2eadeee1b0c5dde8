"""Reporters: turn a run's findings into text for people or machines."""

from __future__ import annotations

from typing import Callable, Dict, TextIO

from ..results import RunResult
from .github import write_github
from .json_format import write_json
from .junit import write_junit
from .sarif import write_sarif
from .text import write_concise, write_full

Reporter = Callable[[RunResult, TextIO, dict], None]

REPORTERS: Dict[str, Reporter] = {
    "full": write_full,
    "text": write_full,
    "concise": write_concise,
    "json": write_json,
    "github": write_github,
    "sarif": write_sarif,
    "junit": write_junit,
}

OUTPUT_FORMATS = ("text", "full", "concise", "json", "github", "sarif", "junit")
