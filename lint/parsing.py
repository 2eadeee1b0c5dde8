"""Parsing files into LibCST modules, with parse failures turned into located errors."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import libcst as cst

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
    module: Optional[cst.Module]
    failure: Optional[ParseFailure] = None


def parse_source(source: SourceFile) -> ParsedFile:
    try:
        module = cst.parse_module(source.data)
    except cst.ParserSyntaxError as exc:
        return ParsedFile(source, None, _locate_syntax_error(source, exc))
    except RecursionError:
        return ParsedFile(source, None, ParseFailure("syntax too deeply nested to parse"))
    except Exception as exc:  # the native parser reports some failures (e.g. NUL bytes) as other errors
        return ParsedFile(source, None, ParseFailure(f"cannot parse: {exc}"))
    return ParsedFile(source, module)


def _locate_syntax_error(source: SourceFile, exc: cst.ParserSyntaxError) -> ParseFailure:
    """Prefer CPython's own compiler for the message and position; it only parses, never runs."""
    try:
        ast.parse(source.text, filename=str(source.path))
    except SyntaxError as err:
        return ParseFailure(f"syntax error: {err.msg}", err.lineno or 1, err.offset or 1)
    except (ValueError, RecursionError, MemoryError):
        pass
    line, column = exc.raw_line, exc.raw_column + 1
    located = _NATIVE_LOCATION.search(exc.message)
    if located:
        line, column = int(located.group(1)), int(located.group(2)) + 1
    message = _NATIVE_LOCATION.sub("", exc.message).replace("parser error: ", "").strip(" :") or "invalid syntax"
    return ParseFailure(f"syntax error: {message}", line, column)


def parse_path(path: Path) -> ParsedFile:
    try:
        source = read_source(path)
    except SourceError as exc:
        return ParsedFile(None, None, ParseFailure(str(exc)))
    return parse_source(source)
