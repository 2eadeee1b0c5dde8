"""Parsing files: Python's ``ast`` first (fast, and the reference for syntax errors), LibCST
only when a file needs the full concrete tree."""

from __future__ import annotations

import ast
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple

from .source import SourceError, SourceFile, read_source

_NATIVE_LOCATION = re.compile(r"error at (\d+):(\d+)")


@dataclass(frozen=True)
class ParseFailure:
    message: str
    line: int = 1
    column: int = 1


@dataclass
class ParsedFile:
    source: Optional[SourceFile]
    tree: Optional[ast.Module]
    failure: Optional[ParseFailure] = None
    _cst: Optional[object] = field(default=None, repr=False)
    cst_failure: Optional[ParseFailure] = None
    _cst_tried: bool = field(default=False, repr=False)

    @property
    def module(self):
        """The LibCST tree, parsed on first use; None (with ``cst_failure``) when it cannot be."""
        if not self._cst_tried:
            self._cst_tried = True
            if self.source is not None and self.failure is None:
                self._cst, self.cst_failure = _parse_cst(self.source)
        return self._cst


def _parse_cst(source: SourceFile):
    import libcst as cst

    try:
        return cst.parse_module(source.data), None
    except cst.ParserSyntaxError as exc:
        line, column = exc.raw_line, exc.raw_column + 1
        located = _NATIVE_LOCATION.search(exc.message)
        if located:
            line, column = int(located.group(1)), int(located.group(2)) + 1
        message = _NATIVE_LOCATION.sub("", exc.message).replace("parser error: ", "").strip(" :") or "invalid syntax"
        return None, ParseFailure(f"syntax error: {message}", line, column)
    except RecursionError:
        return None, ParseFailure("syntax too deeply nested to parse")
    except Exception as exc:  # the native parser reports some failures as other errors
        return None, ParseFailure(f"cannot parse: {exc}")


# ``target-version``: the Python whose syntax the checked code is written in (None: this one's).
_TARGET_VERSION: Optional[Tuple[int, int]] = None


def set_target_version(version: Optional[Tuple[int, int]]) -> None:
    global _TARGET_VERSION
    _TARGET_VERSION = version


def target_version() -> Optional[Tuple[int, int]]:
    return _TARGET_VERSION


def _parse_newer(source: SourceFile, err: SyntaxError) -> ParsedFile:
    """A syntax error of this interpreter in code written for a newer Python: lower what can be
    lowered (PEP 695) and parse again; otherwise say which interpreter could not read it."""
    from .newer_syntax import lower_pep695

    lowered = lower_pep695(source.text)
    if lowered is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ParsedFile(source, ast.parse(lowered, filename=str(source.path)))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    target = f"{_TARGET_VERSION[0]}.{_TARGET_VERSION[1]}"
    message = f"syntax error: {err.msg} (Python {running} runs zlint and cannot read this {target} syntax)"
    return ParsedFile(source, None, ParseFailure(message, err.lineno or 1, err.offset or 1))


def parse_source(source: SourceFile) -> ParsedFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes is not ours to report
            tree = ast.parse(source.data, filename=str(source.path))
    except SyntaxError as err:
        if _TARGET_VERSION is not None and _TARGET_VERSION > sys.version_info[:2]:
            return _parse_newer(source, err)
        return ParsedFile(source, None, ParseFailure(f"syntax error: {err.msg}", err.lineno or 1, err.offset or 1))
    except (ValueError, TypeError) as exc:  # NUL bytes and the like
        return ParsedFile(source, None, ParseFailure(f"cannot parse: {exc}"))
    except (RecursionError, MemoryError):
        return ParsedFile(source, None, ParseFailure("syntax too deeply nested to parse"))
    return ParsedFile(source, tree)


def parse_path(path: Path) -> ParsedFile:
    try:
        source = read_source(path)
    except SourceError as exc:
        return ParsedFile(None, None, ParseFailure(str(exc)))
    return parse_source(source)
