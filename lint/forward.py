"""Forward-time analysis of one module class.

Walks ``forward``, the functions nested in it and the methods of the same class that forward
reaches through ``self.method(...)`` (transitively), tracking which local names hold submodules
(``self.attn``, loop variables over module containers, aliases, ``self.modules()`` targets, ...).
It emits events that rules turn into findings: attribute writes through submodules, and calls of
submodules. The walk is flow-sensitive in source order; branches are merged as "may hold".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from .cst_util import all_params, dotted_name, first_param_name, iter_statements, string_literal
from .findings import ChainLink
from .index import ProjectClass, ProjectIndex
from .modules import ClassSummary
from .types import ContainerType, ModuleType, SubType

MODULE_ITERATORS = {"modules": False, "children": False, "named_modules": True, "named_children": True}
PASS_THROUGH_ITERABLES = {"reversed", "list", "tuple", "iter", "sorted"}


@dataclass(frozen=True)
class SelfValue:
    pass


@dataclass(frozen=True)
class SubValue:
    """A submodule, or anything reached through one.

    ``links`` is the resolved chain from the enclosing module down to this value; ``type`` is the
    static type when known. ``broadcast`` marks values that came from iterating ``modules()`` or
    ``children()`` (every module of a subtree rather than one named submodule).
    """

    links: Tuple[ChainLink, ...]
    type: Optional[SubType]
    broadcast: bool = False
    module_like: bool = True


@dataclass(frozen=True)
class IterValue:
    elem: "Value"


@dataclass(frozen=True)
class TupleValue:
    items: Tuple[Optional["Value"], ...]


Value = Union[SelfValue, SubValue, IterValue, TupleValue]


Trail = Tuple[Tuple[int, int], ...]


@dataclass
class AttributeWrite:
    kind: str  # "assign", "augassign", "annassign", "delete"
    target: cst.Attribute
    statement: cst.CSTNode
    owner: SubValue
    attr: str
    method: str
    function: cst.FunctionDef
    trail: Trail  # (block id, statement index) from the method body down to the statement


@dataclass
class SubmoduleCall:
    call: cst.Call
    callee: SubValue
    statement: cst.CSTNode
    method: str
    function: cst.FunctionDef
    trail: Trail


@dataclass
class ClassAnalysis:
    cls: ClassSummary
    writes: List[AttributeWrite] = field(default_factory=list)
    calls: List[SubmoduleCall] = field(default_factory=list)
    forward_methods: List[str] = field(default_factory=list)


def _link_for(expression: str, typ: Optional[SubType], reason: str = "") -> ChainLink:
    if typ is None:
        return ChainLink(expression, None, False, reason)
    if isinstance(typ, ContainerType):
        return ChainLink(expression, typ.label, True)
    if typ.resolved:
        return ChainLink(expression, typ.label, True)
    why = reason or typ.reason or "class not resolved"
    return ChainLink(expression, typ.label, False, why)


def _elem_type(typ: Optional[SubType]) -> Tuple[Optional[SubType], str]:
    if isinstance(typ, ContainerType):
        if typ.elem is None:
            return None, f"element class of the {typ.kind} is not known"
        return typ.elem, ""
    return None, "not a known module container"


class _Walker:
    def __init__(self, index: ProjectIndex, cls: ClassSummary, analysis: ClassAnalysis):
        self.index = index
        self.cls = cls
        self.analysis = analysis
        self.submodules = index.submodules(cls)
        self.seen_targets: Set[int] = set()
        self.seen_calls: Set[int] = set()
        self.call_sites: Dict[str, List[Dict[str, Value]]] = {}
        self.method = "forward"
        self.function: Optional[cst.FunctionDef] = None
        self.trail: List[Tuple[int, int]] = []

    # -- values ---------------------------------------------------------------------------
    def eval(self, node: cst.BaseExpression, env: Dict[str, Value]) -> Optional[Value]:
        if isinstance(node, cst.Name):
            return env.get(node.value)
        if isinstance(node, cst.Attribute):
            return self._attribute(self.eval(node.value, env), node.attr.value)
        if isinstance(node, cst.Subscript):
            base = self.eval(node.value, env)
            if isinstance(base, SubValue):
                is_slice = any(isinstance(el.slice, cst.Slice) for el in node.slice)
                if is_slice:
                    return replace(base, links=base.links + (ChainLink("[:]", base.links[-1].class_name, base.links[-1].resolved),))
                typ, reason = _elem_type(base.type)
                return SubValue(base.links + (_link_for("[*]", typ, reason),), typ, base.broadcast)
            return None
        if isinstance(node, cst.Call):
            return self._call_value(node, env)
        if isinstance(node, cst.IfExp):
            return self.eval(node.body, env) or self.eval(node.orelse, env)
        if isinstance(node, cst.BooleanOperation):
            return self.eval(node.left, env) or self.eval(node.right, env)
        if isinstance(node, cst.NamedExpr):
            value = self.eval(node.value, env)
            self.bind(node.target, value, env)
            return value
        if isinstance(node, (cst.Tuple, cst.List)):
            items = tuple(
                None if isinstance(el, cst.StarredElement) else self.eval(el.value, env) for el in node.elements
            )
            return TupleValue(items) if any(item is not None for item in items) else None
        return None

    def _attribute(self, base: Optional[Value], attr: str) -> Optional[Value]:
        if isinstance(base, SelfValue):
            found = self.submodules.get(attr)
            if found is None:
                return None
            return SubValue((_link_for(f"self.{attr}", found.type),), found.type)
        if isinstance(base, SubValue):
            if base.type is None:
                reason = base.links[-1].reason or "the enclosing object is not resolved"
                return SubValue(base.links + (ChainLink(f".{attr}", None, False, reason),), None, base.broadcast)
            typ, reason = self.index.attribute_type(base.type, attr)
            return SubValue(base.links + (_link_for(f".{attr}", typ, reason),), typ, base.broadcast, typ is not None)
        return None

    def _module_iterator(self, base: Value, method: str, root: str) -> Optional[Value]:
        named = MODULE_ITERATORS[method]
        link = ChainLink(root, None, False, f"any module yielded by {method}()")
        elem = SubValue((link,), None, broadcast=True)
        return IterValue(TupleValue((None, elem)) if named else elem)

    def _call_value(self, node: cst.Call, env: Dict[str, Value]) -> Optional[Value]:
        func = node.func
        args = node.args
        if isinstance(func, cst.Attribute):
            base = self.eval(func.value, env)
            method = func.attr.value
            if isinstance(base, (SelfValue, SubValue)) and method in MODULE_ITERATORS:
                prefix = "self" if isinstance(base, SelfValue) else _chain_text(base)
                return self._module_iterator(base, method, f"{prefix}.{method}()")
            if isinstance(base, SubValue) and method in ("values", "items") and isinstance(base.type, ContainerType):
                typ, reason = _elem_type(base.type)
                elem = SubValue(base.links + (_link_for("[*]", typ, reason),), typ, base.broadcast)
                return IterValue(TupleValue((None, elem)) if method == "items" else elem)
            if isinstance(base, (SelfValue, SubValue)) and method == "get_submodule" and args:
                target = string_literal(args[0].value) or "?"
                links = base.links if isinstance(base, SubValue) else ()
                return SubValue(links + (ChainLink(f".get_submodule({target!r})", None, False, "looked up by name"),), None)
            return None
        name = dotted_name(func)
        if name == "enumerate" and args:
            elem = self.iter_elem(self.eval(args[0].value, env))
            return IterValue(TupleValue((None, elem))) if elem is not None else None
        if name == "zip" and args:
            elems = tuple(self.iter_elem(self.eval(arg.value, env)) for arg in args)
            return IterValue(TupleValue(elems)) if any(e is not None for e in elems) else None
        if name in PASS_THROUGH_ITERABLES and args:
            value = self.eval(args[0].value, env)
            elem = self.iter_elem(value)
            return IterValue(elem) if elem is not None else None
        if name == "getattr" and len(args) >= 2:
            attr = string_literal(args[1].value)
            if attr is not None:
                return self._attribute(self.eval(args[0].value, env), attr)
        return None

    def iter_elem(self, value: Optional[Value]) -> Optional[Value]:
        if isinstance(value, IterValue):
            return value.elem
        if isinstance(value, SubValue):
            typ, reason = _elem_type(value.type)
            if value.type is not None and not isinstance(value.type, ContainerType):
                return None  # iterating a plain module (not a container): unknown
            return SubValue(value.links + (_link_for("[*]", typ, reason),), typ, value.broadcast)
        return None

    def bind(self, target: cst.BaseExpression, value: Optional[Value], env: Dict[str, Value]) -> None:
        if isinstance(target, cst.Name):
            if value is None:
                env.pop(target.value, None)
            else:
                env[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            items = value.items if isinstance(value, TupleValue) else ()
            for position, element in enumerate(target.elements):
                item = items[position] if position < len(items) and not isinstance(element, cst.StarredElement) else None
                inner = element.value
                self.bind(inner, item, env)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, None, env)

    # -- statements --------------------------------------------------------------------------
    def walk_function(
        self,
        func: cst.FunctionDef,
        env: Dict[str, Value],
        self_name: Optional[str],
        bound: Optional[Dict[str, Value]] = None,
    ) -> None:
        """Walk a function body; parameters shadow the enclosing names unless ``bound`` gives them values."""
        env = dict(env)
        for param in all_params(func):
            if param.name.value != self_name:
                env.pop(param.name.value, None)
        if self_name is not None:
            env[self_name] = SelfValue()
        env.update(bound or {})
        outer = self.function
        if outer is None:
            self.function = func
        self.walk_block(func.body, env)
        self.function = outer

    def walk_block(self, body, env: Dict[str, Value]) -> None:
        for position, stmt in enumerate(iter_statements(body)):
            self.trail.append((id(body), position))
            try:
                self.walk_statement(stmt, env)
            finally:
                self.trail.pop()

    def walk_statement(self, stmt: cst.CSTNode, env: Dict[str, Value]) -> None:
        if isinstance(stmt, cst.Assign):
            self.scan_calls(stmt.value, stmt, env)
            value = self.eval(stmt.value, env)
            for target in stmt.targets:
                self.write_targets(target.target, stmt, "assign", env)
                self.bind(target.target, value, env)
        elif isinstance(stmt, cst.AugAssign):
            self.scan_calls(stmt.value, stmt, env)
            self.write_targets(stmt.target, stmt, "augassign", env)
        elif isinstance(stmt, cst.AnnAssign):
            if stmt.value is not None:
                self.scan_calls(stmt.value, stmt, env)
                self.write_targets(stmt.target, stmt, "annassign", env)
                self.bind(stmt.target, self.eval(stmt.value, env), env)
        elif isinstance(stmt, cst.Del):
            self.write_targets(stmt.target, stmt, "delete", env)
        elif isinstance(stmt, (cst.Expr, cst.Return, cst.Raise, cst.Assert)):
            self.scan_calls(stmt, stmt, env)
        elif isinstance(stmt, cst.If):
            self.walk_if(stmt, env)
        elif isinstance(stmt, cst.For):
            self.scan_calls(stmt.iter, stmt, env)
            self.bind(stmt.target, self.iter_elem(self.eval(stmt.iter, env)), env)
            self.walk_block(stmt.body, env)
            if stmt.orelse is not None:
                self.walk_block(stmt.orelse.body, env)
        elif isinstance(stmt, cst.While):
            self.scan_calls(stmt.test, stmt, env)
            self.walk_block(stmt.body, env)
            if stmt.orelse is not None:
                self.walk_block(stmt.orelse.body, env)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                self.scan_calls(item.item, stmt, env)
                if item.asname is not None:
                    self.bind(item.asname.name, None, env)
            self.walk_block(stmt.body, env)
        elif isinstance(stmt, cst.Try) or type(stmt).__name__ == "TryStar":
            self.walk_block(stmt.body, env)
            for handler in stmt.handlers:
                self.walk_block(handler.body, env)
            if stmt.orelse is not None:
                self.walk_block(stmt.orelse.body, env)
            if stmt.finalbody is not None:
                self.walk_block(stmt.finalbody.body, env)
        elif isinstance(stmt, cst.Match):
            self.scan_calls(stmt.subject, stmt, env)
            for case in stmt.cases:
                branch = dict(env)
                self.walk_block(case.body, branch)
                _merge_into(env, branch)
        elif isinstance(stmt, cst.FunctionDef):
            self_name = _self_name_in(env)
            self.walk_function(stmt, env, self_name)

    def walk_if(self, stmt: cst.If, env: Dict[str, Value]) -> None:
        self.scan_calls(stmt.test, stmt, env)
        branch = dict(env)
        self._narrow(stmt.test, branch)
        self.walk_block(stmt.body, branch)
        other = dict(env)
        if isinstance(stmt.orelse, cst.If):
            self.walk_if(stmt.orelse, other)
        elif isinstance(stmt.orelse, cst.Else):
            self.walk_block(stmt.orelse.body, other)
        env.clear()
        env.update(other)
        _merge_into(env, branch)

    def _narrow(self, test: cst.BaseExpression, env: Dict[str, Value]) -> None:
        """``if isinstance(m, Cls):`` gives ``m`` the class ``Cls`` inside the branch."""
        if not (isinstance(test, cst.Call) and dotted_name(test.func) == "isinstance" and len(test.args) == 2):
            return
        subject = test.args[0].value
        if not isinstance(subject, cst.Name) or not isinstance(env.get(subject.value), SubValue):
            return
        spelled = dotted_name(test.args[1].value)
        if spelled is None:
            return
        symbol = self.index.resolve(self.cls.module, spelled)
        typ = self.index.type_of_class_symbol(symbol, spelled)
        if typ is None:
            return
        value = env[subject.value]
        last = value.links[-1]
        links = value.links[:-1] + (ChainLink(last.expression, typ.label, typ.resolved, "" if typ.resolved else typ.reason),)
        env[subject.value] = replace(value, links=links, type=typ)

    def write_targets(self, target: cst.BaseExpression, stmt: cst.CSTNode, kind: str, env: Dict[str, Value]) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.write_targets(element.value, stmt, kind, env)
            return
        if isinstance(target, cst.StarredElement):
            self.write_targets(target.value, stmt, kind, env)
            return
        if not isinstance(target, cst.Attribute) or id(target) in self.seen_targets:
            return
        owner = self.eval(target.value, env)
        if isinstance(owner, SubValue):
            self.seen_targets.add(id(target))
            self.analysis.writes.append(
                AttributeWrite(kind, target, stmt, owner, target.attr.value, self.method, self.function, tuple(self.trail))
            )

    def scan_calls(self, node: cst.CSTNode, stmt: cst.CSTNode, env: Dict[str, Value]) -> None:
        """Record submodule calls and ``self.method(...)`` call sites in an expression."""
        stack = [node]
        calls = []
        while stack:
            current = stack.pop()
            if isinstance(current, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(current, cst.Call):
                calls.append(current)
            stack.extend(current.children)
        for call in reversed(calls):
            if isinstance(call.func, cst.Attribute) and isinstance(self.eval(call.func.value, env), SelfValue):
                self._record_call_site(call, env)
                continue
            callee = self.eval(call.func, env)
            if isinstance(callee, SubValue) and id(call) not in self.seen_calls:
                self.seen_calls.add(id(call))
                self.analysis.calls.append(SubmoduleCall(call, callee, stmt, self.method, self.function, tuple(self.trail)))

    def _record_call_site(self, call: cst.Call, env: Dict[str, Value]) -> None:
        name = call.func.attr.value
        func = self.cls.methods.get(name)
        if func is None:
            if name in self.submodules:
                callee = self.eval(call.func, env)
                if isinstance(callee, SubValue) and id(call) not in self.seen_calls:
                    self.seen_calls.add(id(call))
                    self.analysis.calls.append(
                        SubmoduleCall(call, callee, call, self.method, self.function, tuple(self.trail))
                    )
            return
        params = [p.name.value for p in list(func.params.posonly_params) + list(func.params.params)][1:]
        bound: Dict[str, Value] = {}
        for position, arg in enumerate(call.args):
            if arg.star:
                break
            value = self.eval(arg.value, env)
            if value is None:
                continue
            if arg.keyword is not None:
                bound[arg.keyword.value] = value
            elif position < len(params):
                bound[params[position]] = value
        self.call_sites.setdefault(name, []).append(bound)


def _chain_text(value: SubValue) -> str:
    return "".join(link.expression for link in value.links)


def _self_name_in(env: Dict[str, Value]) -> Optional[str]:
    for name, value in env.items():
        if isinstance(value, SelfValue):
            return name
    return None


def _merge_into(env: Dict[str, Value], other: Dict[str, Value]) -> None:
    for name, value in other.items():
        if name not in env:
            env[name] = value


def forward_reachable(cls: ClassSummary, roots: Sequence[str] = ("forward",)) -> List[str]:
    """``forward`` and the methods of the class it reaches through ``self.m(...)``, in BFS order."""
    from .cst_util import self_method_calls

    order: List[str] = []
    queue = [name for name in roots if name in cls.methods]
    while queue:
        name = queue.pop(0)
        if name in order:
            continue
        order.append(name)
        func = cls.methods[name]
        for call in self_method_calls(func.body, first_param_name(func)):
            callee = call.func.attr.value
            if callee in cls.methods and callee not in order and callee != "__init__":
                queue.append(callee)
    return order


def analyse_class(index: ProjectIndex, cls: ClassSummary) -> ClassAnalysis:
    analysis = ClassAnalysis(cls)
    if not index.is_module_class(cls):
        return analysis
    methods = forward_reachable(cls)
    analysis.forward_methods = methods
    walker = _Walker(index, cls, analysis)
    for name in methods:
        func = cls.methods[name]
        self_name = first_param_name(func)
        env: Dict[str, Value] = {}
        for site in walker.call_sites.get(name, []):
            for param, value in site.items():
                env.setdefault(param, value)
        walker.method = name
        walker.walk_function(func, {}, self_name, bound=env)
    return analysis

