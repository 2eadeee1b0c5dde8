"""Small helpers over LibCST nodes shared by the index, the analysis and the fixer."""

from __future__ import annotations

import dataclasses
from typing import Iterator, Optional

import libcst as cst


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, otherwise None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def string_literal(node: cst.BaseExpression) -> Optional[str]:
    """The value of a plain (non f-) string literal, otherwise None."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        joined = node.evaluated_value
        return joined if isinstance(joined, str) else None
    return None


def is_self(node: cst.BaseExpression, self_name: Optional[str]) -> bool:
    return self_name is not None and isinstance(node, cst.Name) and node.value == self_name


def self_attribute(node: cst.BaseExpression, self_name: Optional[str]) -> Optional[str]:
    """``name`` for ``self.name``, otherwise None."""
    if isinstance(node, cst.Attribute) and is_self(node.value, self_name):
        return node.attr.value
    return None


def first_param_name(func: cst.FunctionDef) -> Optional[str]:
    params = list(func.params.posonly_params) + list(func.params.params)
    if not params:
        return None
    for decorator in func.decorators:
        if dotted_name(decorator.decorator) in ("staticmethod", "classmethod"):
            return None
    return params[0].name.value


def all_params(func: cst.FunctionDef):
    p = func.params
    yield from p.posonly_params
    yield from p.params
    if isinstance(p.star_arg, cst.Param):
        yield p.star_arg
    yield from p.kwonly_params
    if p.star_kwarg is not None:
        yield p.star_kwarg


def iter_statements(body) -> Iterator[cst.CSTNode]:
    """The statements of an indented block or a simple-statement suite, in order."""
    if isinstance(body, cst.IndentedBlock):
        for stmt in body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                yield from stmt.body
            else:
                yield stmt
    elif isinstance(body, cst.SimpleStatementSuite):
        yield from body.body
    elif isinstance(body, cst.Module):
        for stmt in body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                yield from stmt.body
            else:
                yield stmt


def self_method_calls(node: cst.CSTNode, self_name: Optional[str]) -> Iterator[cst.Call]:
    """Every ``self.method(...)`` call inside ``node``."""
    if self_name is None:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call) and self_attribute(current.func, self_name) is not None:
            yield current
        stack.extend(child_nodes(current))


_SKIP_TYPES = (
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
)
_CHILD_FIELDS: dict = {}


def child_nodes(node: cst.CSTNode):
    """The child nodes of ``node``, without whitespace.

    LibCST's ``children`` property rebuilds the node to collect them; reading the dataclass
    fields directly is an order of magnitude faster, and the analysis walks every tree it checks.
    """
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(node))
        _CHILD_FIELDS[type(node)] = names
    out = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if not isinstance(value, _SKIP_TYPES):
                out.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, cst.CSTNode) and not isinstance(item, _SKIP_TYPES):
                    out.append(item)
    return out
