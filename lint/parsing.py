"""Parsing files: Python's ``ast`` first (fast, and the reference for syntax errors), LibCST
only when a file needs the full concrete tree."""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple

from .source import SourceError, SourceFile, read_source

_NATIVE_LOCATION = re.compile(r"error at (\d+):(\d+)")

# How deeply nested a file may be and still be analysed. LibCST's native parser slows down
# quadratically past a thousand levels, returns bogus syntax errors for a few thousand adjacent
# string literals and overflows its stack past about six thousand, and the rules walk trees
# recursively: files nested deeper than this get one ZL000 "too deeply nested" finding instead.
MAX_NESTING = 1200
TOO_DEEP = "too deeply nested: not analysed"


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
    _depth_checked: bool = field(default=False, repr=False)

    @property
    def module(self):
        """The LibCST tree, parsed on first use; None (with ``cst_failure``) when it cannot be."""
        if not self._cst_tried:
            self._cst_tried = True
            if self.source is not None and self.failure is None:
                check_nesting(self)  # never hand LibCST's native parser a tree it cannot take
            if self.source is not None and self.failure is None:
                self._cst, self.cst_failure = _parse_cst(self.source)
            elif self.failure is not None:
                self.cst_failure = self.failure
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
    target = f"{_TARGET_VERSION[0]}.{_TARGET_VERSION[1]}" if _TARGET_VERSION else "newer"
    message = f"syntax error: {err.msg} (Python {running} runs zlint and cannot read this {target} syntax)"
    return ParsedFile(source, None, ParseFailure(message, err.lineno or 1, err.offset or 1))


def parse_source(source: SourceFile, check_depth: bool = True) -> ParsedFile:
    """Parse with ``ast``; ``check_depth`` turns a tree nested deeper than ``MAX_NESTING`` into a
    failure now (off: ``check_nesting`` runs before anything walks the tree deeply, at the latest
    before LibCST parses it)."""
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
        return ParsedFile(source, None, ParseFailure(f"{TOO_DEEP} (more than {MAX_NESTING} levels)"))
    if check_depth:
        return check_nesting(ParsedFile(source, tree))
    return ParsedFile(source, tree)


def check_nesting(parsed: ParsedFile) -> ParsedFile:
    """Turn ``parsed`` (in place, so that whoever holds it sees the same) into a failure when its
    tree is too deeply nested to analyse; measured once."""
    if parsed.tree is None or parsed.failure is not None or parsed._depth_checked:
        return parsed
    parsed._depth_checked = True
    text = parsed.source.text if parsed.source is not None else ""
    if _too_deep(parsed.tree, text):
        parsed.tree = None
        parsed.failure = ParseFailure(f"{TOO_DEEP} (more than {MAX_NESTING} levels)")
    return parsed


# Python's parser allows at most 100 nested blocks; each adds a few tree levels.
_BLOCK_LEVELS = 3 * 100 + 10


def _too_deep(tree: ast.Module, text: str, limit: int = MAX_NESTING) -> bool:
    """Whether ``tree`` is nested deeper than ``limit``, measured cheaply: every tree level inside
    a statement's own expressions takes at least one character of its source, so only statements
    whose own text (their body left out) is longer than what block nesting leaves of the budget
    can be too deep, and only those are measured node by node (with the most blocks Python
    allows above them)."""
    budget = limit - _BLOCK_LEVELS
    if len(text) < budget:
        return False
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[min(line - 1, len(starts) - 1)] + column  # columns are UTF-8 bytes: an upper bound

    stack = [(stmt, 1) for stmt in tree.body]  # (statement, levels above it)
    while stack:
        node, above = stack.pop()
        start = offset(min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())]), 0)
        children = [child for name in ("body", "orelse", "finalbody") for child in (getattr(node, name, None) or [])]
        long_header = False
        for handler in getattr(node, "handlers", ()) or ():
            children.extend(handler.body)
            if (
                handler.body
                and offset(handler.body[0].lineno, handler.body[0].col_offset) - offset(handler.lineno, 0) >= budget
            ):
                long_header = True  # the `except ...:` line's own expression
        if isinstance(node, ast.Match):
            long_header = True  # patterns: measured in full
        if children:
            first = min(children, key=lambda child: (child.lineno, child.col_offset))
            long_header = long_header or offset(first.lineno, first.col_offset) - start >= budget
            stack.extend((child, above + 1) for child in children)
            if long_header and nesting_depth(node, text, limit) + above > limit:
                return True
        elif offset(node.end_lineno or node.lineno, node.end_col_offset or 0) - start >= budget:
            if nesting_depth(node, text, limit) + above > limit:
                return True
    return False


def nesting_depth(tree: ast.AST, text: str = "", limit: int = MAX_NESTING) -> int:
    """The depth of ``tree`` (without recursion), where adjacent string literals count one level
    each, as LibCST nests them; stops counting once past ``limit``."""
    best = 0
    stack = [(tree, 1)]
    pop, push = stack.pop, stack.append
    node_type, lines = ast.AST, None
    while stack:
        node, depth = pop()
        if depth > best:
            best = depth
            if best > limit:
                return best
        if (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))) or isinstance(node, ast.JoinedStr):
            if node.end_lineno != node.lineno or (node.end_col_offset or 0) - node.col_offset > 2 * (limit - depth):
                if lines is None:
                    lines = text.splitlines(keepends=True)
                parts = _string_parts(node, lines)
                if depth + parts > best:
                    best = depth + parts
                    if best > limit:
                        return best
            if isinstance(node, ast.JoinedStr):  # the expressions inside an f-string
                for item in node.values:
                    if isinstance(item, ast.FormattedValue):
                        push((item, depth + 1))
            continue
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                push((value, depth + 1))
            elif type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        push((item, depth + 1))
    return best


def _string_parts(node: ast.expr, lines) -> int:
    """How many string literals stand next to each other in ``node``'s source."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    if first >= len(lines):
        return 1
    chunk = [line.encode("utf-8") for line in lines[first : last + 1]]
    chunk[-1] = chunk[-1][: node.end_col_offset]
    chunk[0] = chunk[0][node.col_offset :]
    segment = b"".join(chunk).decode("utf-8", errors="replace")
    count = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO("(" + segment + ")").readline):
            if token.type == tokenize.STRING:
                count += 1
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return 1
    return max(count, 1)


def parse_path(path: Path) -> ParsedFile:
    try:
        source = read_source(path)
    except SourceError as exc:
        return ParsedFile(None, None, ParseFailure(str(exc)))
    return parse_source(source)
