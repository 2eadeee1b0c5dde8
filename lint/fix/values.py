"""What the planner knows about the value of a write: whether it may be ``None``, its builtin
type, and whether it must be evaluated into a fresh local to be evaluated once, where the write
was."""

from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst

from ..cst_util import all_params, child_nodes, iter_statements

PLAIN_TYPES = ("bool", "int", "float", "str")
_EMPTY = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def is_literal(node: cst.BaseExpression) -> bool:
    """A constant whose evaluation has no effect and whose value never changes."""
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return isinstance(node.expression, (cst.Integer, cst.Float))
    return False


def bound_names(node: cst.CSTNode) -> Set[str]:
    """Names a statement (re)binds, including in nested blocks, but not in nested scopes."""
    bound: Set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        targets: List[cst.CSTNode] = []
        if isinstance(current, cst.Assign):
            targets = [t.target for t in current.targets]
        elif isinstance(current, (cst.AugAssign, cst.AnnAssign)):
            targets = [current.target]
        elif isinstance(current, (cst.For, cst.CompFor)):
            targets = [current.target]
        elif isinstance(current, cst.NamedExpr):
            targets = [current.target]
        elif isinstance(current, cst.AsName):
            targets = [current.name]
        elif isinstance(current, cst.Del):
            targets = [current.target]
        elif isinstance(current, (cst.Global, cst.Nonlocal)):
            bound.update(item.name.value for item in current.names)
        for target in targets:
            pending = [target]
            while pending:
                t = pending.pop()
                if isinstance(t, cst.Name):
                    bound.add(t.value)
                elif isinstance(t, (cst.Tuple, cst.List)):
                    pending.extend(el.value for el in t.elements)
                elif isinstance(t, cst.StarredElement):
                    pending.append(t.value)
        if isinstance(current, (cst.FunctionDef, cst.ClassDef)):
            bound.add(current.name.value)
            continue
        if isinstance(current, cst.Lambda):
            continue
        stack.extend(child_nodes(current))
    return bound


def names_in(node: cst.CSTNode) -> Set[str]:
    """Names an expression reads (``a.b`` reads ``a``)."""
    names: Set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            names.add(current.value)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)
            continue
        stack.extend(child_nodes(current))
    return names


def find_block(node: cst.CSTNode, block_id: int):
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) == block_id:
            return current
        stack.extend(child_nodes(current))
    return None


def rebound_after(function: cst.FunctionDef, trail) -> Set[str]:
    """Names that may be bound again after the statement at ``trail`` runs: in the statements
    after it in each enclosing block, and anywhere in an enclosing loop (which runs it again)."""
    bound: Set[str] = set()
    for depth in range(len(trail), 0, -1):
        block_id, position = trail[depth - 1]
        block = find_block(function, block_id)
        if block is None:
            return {"*"}
        statements = list(iter_statements(block))
        for stmt in statements[position + 1 :]:
            bound |= bound_names(stmt)
        holder = statements[position] if position < len(statements) else None
        if depth < len(trail) and isinstance(holder, (cst.For, cst.While)):
            bound |= bound_names(holder)
    return bound


def function_bindings(function: cst.FunctionDef, name: str) -> List[Optional[cst.BaseExpression]]:
    """The values assigned to ``name`` by plain assignments in ``function`` (not nested scopes);
    ``None`` in the list for any other kind of binding."""
    found: List[Optional[cst.BaseExpression]] = []
    stack: List[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.name.value == name:
                found.append(None)
            continue
        if isinstance(node, cst.Assign):
            if any(isinstance(t.target, cst.Name) and t.target.value == name for t in node.targets):
                found.append(node.value)
            elif name in bound_names(cst.SimpleStatementLine(body=[node])):
                found.append(None)
            stack.append(node.value)
            continue
        if isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name) and node.target.value == name:
            found.append(node.value)
            continue
        if isinstance(node, (cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.AsName, cst.Del)):
            if name in bound_names(
                node if not isinstance(node, cst.AugAssign) else cst.SimpleStatementLine(body=[node])
            ):
                found.append(None)
        stack.extend(child_nodes(node))
    return found


def _param(function: cst.FunctionDef, name: str) -> Optional[cst.Param]:
    for param in all_params(function):
        if param.name.value == name:
            return param
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param) and star.name.value == name:
            return star
    return None


def _plain_annotation(annotation: Optional[cst.Annotation]) -> Optional[str]:
    if annotation is None:
        return None
    ann = annotation.annotation
    if isinstance(ann, cst.Name) and ann.value in PLAIN_TYPES:
        return ann.value
    return None


def value_type(value: cst.BaseExpression, function: Optional[cst.FunctionDef], _depth: int = 0) -> Optional[str]:
    """The builtin type of ``value`` when its form says it (a literal, a comparison, ``not``, a
    parameter annotated with a plain type, a local assigned only such values); else None."""
    if _depth > 8:
        return None
    if isinstance(value, cst.Name):
        if value.value in ("True", "False"):
            return "bool"
        if function is None:
            return None
        param = _param(function, value.value)
        bindings = function_bindings(function, value.value)
        types = set()
        if param is not None:
            if param.star:
                return None
            types.add(_plain_annotation(param.annotation))
        for bound in bindings:
            types.add(None if bound is None else value_type(bound, function, _depth + 1))
        if not types or None in types or len(types) != 1:
            return None
        return types.pop()
    if isinstance(value, cst.Integer):
        return "int"
    if isinstance(value, cst.Float):
        return "float"
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return "str"
    if isinstance(value, cst.Comparison):
        return "bool"
    if isinstance(value, cst.UnaryOperation):
        if isinstance(value.operator, cst.Not):
            return "bool"
        inner = value_type(value.expression, function, _depth + 1)
        return inner if inner in ("int", "float") else None
    if isinstance(value, cst.BooleanOperation):
        left = value_type(value.left, function, _depth + 1)
        right = value_type(value.right, function, _depth + 1)
        return left if left is not None and left == right else None
    if isinstance(value, cst.IfExp):
        body = value_type(value.body, function, _depth + 1)
        orelse = value_type(value.orelse, function, _depth + 1)
        return body if body is not None and body == orelse else None
    return None


def maybe_none(value: cst.BaseExpression, function: Optional[cst.FunctionDef], _depth: int = 0) -> Optional[bool]:
    """True when ``value`` may be ``None`` by what zlint sees (the literal, a name bound to or
    defaulting to ``None``, an ``Optional`` annotation, a branch that may give ``None``), False
    when its form rules ``None`` out, None when it cannot tell."""
    if _depth > 8:
        return None
    if isinstance(value, cst.Name) and value.value == "None":
        return True
    if value_type(value, function) is not None:
        return False
    if isinstance(
        value,
        (
            cst.Tuple,
            cst.List,
            cst.Dict,
            cst.Set,
            cst.ListComp,
            cst.SetComp,
            cst.DictComp,
            cst.GeneratorExp,
            cst.Lambda,
            cst.BinaryOperation,
            cst.Imaginary,
        ),
    ):
        return False
    if isinstance(value, cst.BooleanOperation):
        parts = [maybe_none(value.left, function, _depth + 1), maybe_none(value.right, function, _depth + 1)]
    elif isinstance(value, cst.IfExp):
        parts = [maybe_none(value.body, function, _depth + 1), maybe_none(value.orelse, function, _depth + 1)]
    elif isinstance(value, cst.Name) and function is not None:
        parts = []
        param = _param(function, value.value)
        if param is not None:
            if param.star:
                return False
            if param.default is not None:
                parts.append(maybe_none(param.default, None, _depth + 1))
            ann = param.annotation.annotation if param.annotation is not None else None
            if ann is not None and "Optional" in code(ann) or (ann is not None and "None" in code(ann)):
                parts.append(True)
            elif param.default is None:
                parts.append(None)
        for bound in function_bindings(function, value.value):
            parts.append(None if bound is None else maybe_none(bound, function, _depth + 1))
        if not parts:
            return None
    else:
        return None
    if True in parts:
        return True
    if None in parts:
        return None
    return False


def needs_local(value: cst.BaseExpression, function: cst.FunctionDef, trail) -> bool:
    """Whether the value must be evaluated into a fresh local where the write was: anything but a
    literal, or a name that nothing binds again after the write."""
    if is_literal(value):
        return False
    if isinstance(value, cst.Name):
        return value.value in rebound_after(function, trail) or "*" in rebound_after(function, trail)
    return True


def fresh_name(function: cst.FunctionDef, wanted: str) -> str:
    """``wanted``, or ``wanted_2``…, whichever no name in ``function`` uses yet."""
    used: Set[str] = set()
    stack: List[cst.CSTNode] = [function]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            used.add(node.value)
        stack.extend(child_nodes(node))
    if wanted not in used:
        return wanted
    suffix = 2
    while f"{wanted}_{suffix}" in used:
        suffix += 1
    return f"{wanted}_{suffix}"
