"""Reading code written for a newer Python than the one running zlint (``target-version``).

zlint parses with ``ast`` first, and ``ast`` only knows the running interpreter's grammar: on
Python 3.11, ``type X = int`` and ``class Box[T]:`` (PEP 695, Python 3.12) are syntax errors.
LibCST's native parser, which zlint uses for the full tree, accepts them whatever the
interpreter. For ``ast`` such a file is *lowered*: the PEP 695 parts are blanked out with spaces
in place, so every other token keeps its line and column, and the lowered text is parsed:

- ``class Box[T](Base):`` / ``def f[T](x: T):`` -> the ``[...]`` type parameters become spaces;
- ``type Alias[T] = list[T]`` -> ``Alias`` assigned (``Alias          = list[T]``).

Other newer syntax (PEP 701 f-strings that reuse their quotes inside replacement fields, for
example) is not lowered: such a file stays a ZL000 on an interpreter that cannot parse it.
"""

from __future__ import annotations

import io
import tokenize
from typing import List, Optional


def _line_starts(text: str) -> List[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _blank(chars: List[str], start: int, end: int) -> None:
    """Spaces over chars[start:end]; a newline inside keeps its line by a backslash before it."""
    for index in range(start, end):
        if chars[index] == "\n":
            if index > start:
                chars[index - 1] = "\\"
        elif chars[index] != "\r":
            chars[index] = " "


def _matching_bracket(tokens, open_index: int) -> Optional[int]:
    depth = 0
    for index in range(open_index, len(tokens)):
        text = tokens[index].string
        if tokens[index].type == tokenize.OP and text in "([{":
            depth += 1
        elif tokens[index].type == tokenize.OP and text in ")]}":
            depth -= 1
            if depth == 0:
                return index
    return None


def lower_pep695(text: str) -> Optional[str]:
    """``text`` with PEP 695 syntax blanked out for ``ast``, or None when there is none (or the
    text cannot be tokenized)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    starts = _line_starts(text)

    def offset(position) -> int:
        return starts[position[0] - 1] + position[1]

    chars = list(text)
    changed = False
    statement_start = True
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        after = tokens[index + 2] if index + 2 < len(tokens) else None
        if (
            token.type == tokenize.NAME
            and token.string in ("class", "def")
            and following is not None
            and following.type == tokenize.NAME
            and after is not None
            and after.string == "["
        ):
            close = _matching_bracket(tokens, index + 2)
            if close is not None:
                _blank(chars, offset(after.start), offset(tokens[close].end))
                changed = True
        elif (
            statement_start
            and token.type == tokenize.NAME
            and token.string == "type"
            and following is not None
            and following.type == tokenize.NAME
            and after is not None
            and after.string in ("=", "[")
        ):
            # "type Alias" -> "Alias     ": the alias name moves to where the statement starts.
            begin, name_end = offset(token.start), offset(following.end)
            name = following.string
            chars[begin:name_end] = list(name + " " * (name_end - begin - len(name)))
            if after.string == "[":
                close = _matching_bracket(tokens, index + 2)
                if close is not None:
                    _blank(chars, offset(after.start), offset(tokens[close].end))
            changed = True
        if token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL) or token.string == ";":
            statement_start = True
        elif token.type not in (tokenize.COMMENT,):
            statement_start = False
    return "".join(chars) if changed else None


def compiles(data: bytes, filename: str, target_version) -> None:
    """``compile`` as a last check of rewritten code; code for a newer Python than this one is
    compiled lowered (raises SyntaxError as ``compile`` does)."""
    import sys

    try:
        compile(data, filename, "exec", dont_inherit=True)
    except SyntaxError:
        if target_version is None or tuple(target_version) <= sys.version_info[:2]:
            raise
        from .source import decode

        lowered = lower_pep695(decode(data)[0])
        if lowered is None:
            raise
        compile(lowered, filename, "exec", dont_inherit=True)
