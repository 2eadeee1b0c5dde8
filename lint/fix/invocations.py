"""Every way a block runs in a piece of code: called (``block(x)``, ``block.forward(x)``,
``block.__call__(x)``), or handed on as a value (a checkpoint function, ``functools.partial``, a
hook, a lambda or nested function that calls it later), where an argument added at a call cannot
follow it."""

from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from ..cst_util import child_nodes
from .values import code

CALL_FORMS = ("forward", "__call__")
# Calls that look at a module without running its forward.
INTROSPECTION = {"isinstance", "hasattr", "getattr", "type", "id", "len", "repr", "str", "print"}


def _binding_targets(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The parts of a statement that bind names (``for layer in ...``): not uses of a value."""
    if isinstance(node, (cst.For, cst.CompFor, cst.AnnAssign, cst.AugAssign)):
        return [node.target]
    if isinstance(node, cst.Assign):
        return list(node.targets)
    if isinstance(node, cst.AsName):
        return [node.name]
    return []


def is_invocation_of(call: cst.Call, block_code: str) -> bool:
    func = call.func
    if code(func) == block_code:
        return True
    return isinstance(func, cst.Attribute) and func.attr.value in CALL_FORMS and code(func.value) == block_code


def invocations(statements: List[cst.CSTNode], block_code: str) -> Tuple[List[cst.Call], Optional[str]]:
    """The calls of the block in ``statements`` and, when it is also used as a value, where."""
    calls: List[cst.Call] = []
    stack: List[Tuple[cst.CSTNode, Optional[cst.Call], bool]] = [(s, None, False) for s in reversed(statements)]
    while stack:
        node, argument_of, nested = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend((child, None, True) for child in child_nodes(node))
            continue
        spelled = code(node) if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)) else None
        bound_method = (
            isinstance(node, cst.Attribute) and node.attr.value in CALL_FORMS and code(node.value) == block_code
        )
        if spelled == block_code or bound_method:
            if nested:
                return calls, f"a nested function or lambda that uses `{spelled}`"
            if argument_of is None:
                return calls, spelled
            func = argument_of.func
            if not (isinstance(func, cst.Name) and func.value in INTROSPECTION) or bound_method:
                return calls, code(argument_of)
            continue
        if isinstance(node, cst.Call):
            if is_invocation_of(node, block_code):
                if nested:
                    return calls, f"a nested function or lambda that calls `{code(node.func)}`"
                calls.append(node)
            else:
                stack.append((node.func, None, nested))
            stack.extend((arg.value, node, nested) for arg in node.args)
            continue
        if isinstance(node, cst.Attribute) and code(node.value) == block_code:
            continue  # `block.attr`: a look inside, reported by other rules
        targets = _binding_targets(node)
        stack.extend((child, None, nested) for child in child_nodes(node) if not any(child is t for t in targets))
    return calls, None


def passed_as_value(statements: List[cst.CSTNode], block_code: str) -> Optional[str]:
    return invocations(statements, block_code)[1]
