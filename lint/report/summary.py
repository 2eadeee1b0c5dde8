"""The closing line every human-readable format prints, counting what could not be analysed."""

from __future__ import annotations

from ..results import RunResult


def unanalysed_files(result: RunResult) -> int:
    """Files with an internal error: some or all of their rules did not run."""
    return len({error.path for error in result.internal_errors})


def summary_line(result: RunResult) -> str:
    """``All checks passed!`` only when there is no finding and every file was analysed."""
    count = len(result.findings)
    broken = unanalysed_files(result)
    if count == 0 and broken == 0:
        return "All checks passed!"
    line = f"Found {count} error{'s' if count != 1 else ''}"
    if broken:
        line += f"; {broken} file{'s' if broken != 1 else ''} could not be analysed"
    return line + "."
