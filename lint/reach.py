"""Which methods run at forward time: the forward entry points and what they reach through
``self.m(...)`` (with ``self._forward_method = self.forward_cuda`` dispatch, and the overrides
an inherited forward reaches), and what a class's methods say about themselves (properties,
decorators, returned submodules)."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from .cst_util import child_nodes, dotted_name, first_param_name, iter_statements
from .index import ProjectIndex
from .modules import ClassSummary, forward_entry_points


def forward_reachable(cls: ClassSummary, roots: Optional[Sequence[str]] = None) -> List[str]:
    """The forward entry points (``forward``, ``forward_*``) and the methods of the class they
    reach through ``self.m(...)``, in BFS order."""
    from .cst_util import self_method_calls

    order: List[str] = []
    roots = forward_entry_points(cls.methods) if roots is None else roots
    queue = [name for name in roots if name in cls.methods]
    dispatch = method_dispatch(cls)
    while queue:
        name = queue.pop(0)
        if name in order:
            continue
        order.append(name)
        func = cls.methods[name]
        for call in self_method_calls(func.body, first_param_name(func)):
            callee = call.func.attr.value  # type: ignore[attr-defined]  # self_method_calls yields `self.m(...)`
            for target in dispatch.get(callee, [callee]):
                if target in cls.methods and target not in order and target != "__init__":
                    queue.append(target)
    return order


def method_dispatch(cls: ClassSummary) -> Dict[str, List[str]]:
    """``self._forward_method = self.forward_cuda`` anywhere in the class: calling
    ``self._forward_method(...)`` runs ``forward_cuda`` (the dispatch of sglang's and vLLM's ops)."""
    dispatch: Dict[str, List[str]] = {}
    for func in cls.methods.values():
        self_name = first_param_name(func)
        for node in all_statements(func.body):
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Attribute):
                value = node.value
                if (
                    isinstance(value.value, cst.Name)
                    and value.value.value == self_name
                    and value.attr.value in cls.methods
                ):
                    for target in node.targets:
                        t = target.target
                        if (
                            isinstance(t, cst.Attribute)
                            and isinstance(t.value, cst.Name)
                            and t.value.value == self_name
                        ):
                            dispatch.setdefault(t.attr.value, []).append(value.attr.value)
    return dispatch


def all_statements(body) -> List[cst.CSTNode]:
    """Every simple statement of a body, nested blocks included, without entering expressions."""
    found: List[cst.CSTNode] = []
    stack: List[cst.CSTNode] = list(iter_statements(body))
    while stack:
        stmt = stack.pop()
        found.append(stmt)
        if isinstance(stmt, cst.If) and isinstance(stmt.orelse, cst.If):
            stack.append(stmt.orelse)  # elif
        blocks = [
            getattr(stmt, "body", None),
            getattr(getattr(stmt, "orelse", None), "body", None),
            getattr(getattr(stmt, "finalbody", None), "body", None),
        ]
        blocks += [handler.body for handler in getattr(stmt, "handlers", ()) or ()]
        for block in blocks:
            if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                stack.extend(iter_statements(block))
    return found


def returned_self_attributes(func: cst.FunctionDef) -> Set[str]:
    """The ``self.<name>`` a method returns, when every ``return`` of its own body returns one."""
    self_name = first_param_name(func)
    names: Set[str] = set()
    stack: List[cst.CSTNode] = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        if isinstance(node, cst.Return):
            value = node.value
            if (
                isinstance(value, cst.Attribute)
                and isinstance(value.value, cst.Name)
                and value.value.value == self_name
            ):
                names.add(value.attr.value)
            else:
                return set()
        stack.extend(child_nodes(node))
    return names


def decorator_names(func: cst.FunctionDef) -> List[str]:
    return [dotted_name(d.decorator) or "" for d in func.decorators]


def property_functions(
    index: ProjectIndex, cls: ClassSummary, name: str
) -> Optional[Tuple[ClassSummary, Optional[cst.FunctionDef], Optional[cst.FunctionDef]]]:
    """The class that defines ``name`` (the class or a project base) and its property getter and
    setter, when ``name`` is a property there."""
    found = index.find_method(cls, name)
    if found is None or found[0].node is None:
        return None
    owner = found[0]
    assert owner.node is not None  # checked above
    getter = setter = None
    for stmt in iter_statements(owner.node.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            decorators = decorator_names(stmt)
            if any(d.rsplit(".", 1)[-1] in ("property", "cached_property") for d in decorators):
                getter = stmt
            elif f"{name}.setter" in decorators:
                setter = stmt
    if getter is None and setter is None:
        return None
    return owner, getter, setter


def forward_methods_of(index: ProjectIndex, cls: ClassSummary) -> Tuple[str, ...]:
    """The methods the class's own forward runs (without analysing it)."""
    key = (cls, " forward")
    found = index._method_effects.get(key)
    if found is None:
        found = index._method_effects[key] = tuple(forward_reachable(cls))
    return found


def self_calls(func: cst.FunctionDef) -> List[cst.Call]:
    from .cst_util import self_method_calls

    return list(self_method_calls(func.body, first_param_name(func)))


def inherited_roots(index: ProjectIndex, cls: ClassSummary) -> List[str]:
    """For a class without a forward of its own: its methods that an inherited ``forward`` (of a
    project base class) reaches through ``self.m(...)``, as Python resolves them on this class."""
    found = index.find_method(cls, "forward")
    if found is None or found[0] is cls:
        return []
    roots: List[str] = []
    seen: Set[str] = set()
    queue = ["forward"]
    while queue:
        name = queue.pop(0)
        if name in seen or name == "__init__":
            continue
        seen.add(name)
        resolved = index.find_method(cls, name)
        if resolved is None:
            continue
        owner, func = resolved
        if owner is cls:
            roots.append(name)  # an override: walked here; what it reaches follows from it
            continue
        queue.extend(call.func.attr.value for call in self_calls(func))  # type: ignore[attr-defined]  # self.<name>(...)
    return roots
