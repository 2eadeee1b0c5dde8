"""Set-then-restore of a submodule attribute around a call of the block (ZL004's toggles), and
the project context managers that toggle an attribute of the module they are given."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from .analysis_data import ClassAnalysis, Toggle
from .cst_util import all_params, child_nodes, dotted_name
from .trails import position_at, runs_after


def is_context_manager(func: cst.FunctionDef) -> bool:
    for decorator in func.decorators:
        name = dotted_name(decorator.decorator) or ""
        if name.rsplit(".", 1)[-1] == "contextmanager":
            return True
    return False


def toggled_attributes(func: cst.FunctionDef) -> Tuple[str, ...]:
    """Attributes a generator context manager assigns on something other than a plain local name,
    both before and after its ``yield``."""
    counts: Dict[str, int] = {}
    params = {p.name.value for p in all_params(func)}
    stack: List[cst.CSTNode] = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign):
            for target in node.targets:
                t = target.target
                if isinstance(t, cst.Attribute):
                    root = t.value
                    while isinstance(root, (cst.Attribute, cst.Subscript)):
                        root = root.value
                    if isinstance(root, cst.Name) and root.value in params:
                        counts[t.attr.value] = counts.get(t.attr.value, 0) + 1
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(child_nodes(node))
    return tuple(sorted(name for name, count in counts.items() if count >= 2))


def find_try_with_final(function: cst.FunctionDef, statement: cst.CSTNode) -> Optional[cst.Try]:
    stack: List[cst.CSTNode] = [function.body]
    found = None
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Try) and node.finalbody is not None and _contains(node.finalbody, statement):
            found = node  # keep looking for an inner one
        stack.extend(child_nodes(node))
    return found


def _contains(root: cst.CSTNode, target: cst.CSTNode) -> bool:
    stack = [root]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        stack.extend(child_nodes(node))
    return False


def find_toggles(analysis: ClassAnalysis) -> List[Toggle]:
    """Set-then-restore of one attribute around a call of the block that owns it."""
    toggles: List[Toggle] = []
    used: Set[int] = set()
    writes = [
        w for w in analysis.writes if w.kind in ("assign", "annassign") and w.attr is not None and not w.owner.broadcast
    ]
    for first in writes:
        if id(first) in used:
            continue
        for restore in writes:
            if restore is first or id(restore) in used or restore.function is not first.function:
                continue
            if restore.attr != first.attr or restore.owner.links != first.owner.links:
                continue
            calls = [
                c
                for c in analysis.calls
                if c.function is first.function
                and tuple(c.callee.links) == tuple(first.owner.links[: len(c.callee.links)])
                and runs_after(first.trail, c.trail)
            ]
            depth = len(first.trail)
            match: Optional[Toggle] = None
            try_stmt = find_try_with_final(first.function, restore.statement)
            if try_stmt is not None:
                inside = [
                    c
                    for c in analysis.calls
                    if c.function is first.function
                    and _contains(try_stmt.body, c.call)
                    and tuple(c.callee.links) == tuple(first.owner.links[: len(c.callee.links)])
                ]
                if _contains(try_stmt.body, first.statement):
                    inside = [c for c in inside if runs_after(first.trail, c.trail)]
                elif not runs_after(first.trail, restore.trail):
                    inside = []  # the first write is not before the try in the same block
                if inside:
                    match = Toggle(first, restore, inside[0], try_stmt)
            elif runs_after(first.trail, restore.trail):
                restore_pos = position_at(restore.trail, depth)
                between = [c for c in calls if position_at(c.trail, depth) < restore_pos]
                if between:
                    match = Toggle(first, restore, between[0], None)
            if match is not None:
                toggles.append(match)
                used.add(id(first))
                used.add(id(restore))
                break
    return toggles
