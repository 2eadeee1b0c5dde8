"""``--output-format github``: GitHub Actions workflow commands, which the PR view shows as
annotations on the changed lines."""

from __future__ import annotations

from typing import TextIO

from ..results import RunResult
from .severity import severity_of


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(result: RunResult, out: TextIO, options: dict) -> None:
    for f in result.findings:
        level = "warning" if severity_of(f.code) == "warning" else "error"
        properties = ",".join(
            f"{key}={escape_property(str(value))}"
            for key, value in (
                ("file", f.path),
                ("line", f.start.line),
                ("col", f.start.column),
                ("endLine", f.end.line),
                ("endColumn", f.end.column),
                ("title", f"{f.code} {f.name}"),
            )
        )
        out.write(f"::{level} {properties}::{escape_data(f'{f.code} {f.message}')}\n")
