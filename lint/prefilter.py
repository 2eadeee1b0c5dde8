"""Cheap, conservative tests of whether a file can hold a finding: on its raw bytes, then on
Python's ``ast``.

What the tests look for is derived from the selected rules: each declares its ``needs`` (see
``Needs`` in lint/rule.py), and a file or class is kept when one selected rule may need it. A
rule that declares nothing keeps every file and every class. ``TextFilter`` runs on the bytes
before anything is decoded or parsed; most files of a model library stop there.

Every rule of zlint's own set reports something that happens in a class's ``forward`` (or a method it reaches) to
a value derived from ``self``: a write through it, a deep read of it, a context manager given
it. The test follows the same reachability as the analysis and tracks, per local name, whether
it may hold a value derived from ``self`` and an upper bound on how many chain links it stands
for. It over-approximates the full rules (it may keep a file that turns out clean, never drop
one that is not), which a property test checks. Files it drops are never parsed with LibCST.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import AbstractSet, Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .evidence import module_getter_name, submodule_method_may_write
from .rule import analysed_by

_PASS_THROUGH = {"enumerate", "zip", "reversed", "list", "tuple", "iter", "sorted", "getattr", "chain"}
_ELEMENT_METHODS = {"values", "items", "get_submodule", "modules", "children", "named_modules", "named_children"}
_DEEP_READ = 4  # the default threshold of ``reads_deep``

Depth = Optional[int]  # None: not derived from self

# The first two lines may carry a PEP 263 coding cookie; a file may start with a byte order mark.
_COOKIE_LINES = 2
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ASCII_AS_IS = {"utf-8", "utf-8-sig", "ascii", "latin-1", "iso-8859-1"}  # names tokenize gives


class TextFilter:
    """The union of the selected rules' ``needs.text``: does a file's raw content hold what one
    of them needs? Tested before the file is decoded or parsed."""

    def __init__(self, alternatives: Optional[List[tuple]]):
        self.alternatives = alternatives  # None: keep every file; []: no rule, keep none

    @classmethod
    def for_rules(cls, rule_classes: Sequence[type]) -> "TextFilter":
        alternatives: List[tuple] = []
        for rule in analysed_by(rule_classes):
            needs = getattr(rule, "needs", None)
            if needs is None:
                return cls(None)
            alternatives.append(tuple(needs.text))
        return cls(alternatives)

    def keeps(self, data: bytes) -> bool:
        if self.alternatives is None:
            return True
        if self._matches(data):
            return True
        return self._other_encoding(data)

    def _matches(self, data: bytes) -> bool:
        seen: Dict[object, bool] = {}
        for groups in self.alternatives or ():
            for group in groups:
                if not any(_found(pattern, data, seen) for pattern in group):
                    break
            else:
                return True
        return False

    def _other_encoding(self, data: bytes) -> bool:
        """A file declared in an encoding that spells ASCII differently is tested on its text."""
        head = b"\n".join(data.split(b"\n", _COOKIE_LINES)[:_COOKIE_LINES])
        if b"coding" not in head and not data.startswith(_WIDE_BOMS):
            return False
        import io
        import tokenize

        from .source import SourceError, decode

        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            return True  # kept: reading it reports why it cannot be decoded
        if encoding in _ASCII_AS_IS:
            return False
        try:
            text, _ = decode(data)
        except SourceError:
            return True
        return self._matches(text.encode("utf-8", "surrogatepass"))


def _found(pattern, data: bytes, seen: Dict[object, bool]) -> bool:
    hit = seen.get(pattern)
    if hit is None:
        hit = seen[pattern] = (pattern in data) if isinstance(pattern, bytes) else pattern.search(data) is not None
    return hit


@dataclass(frozen=True)
class ClassFacts:
    """The union of the selected rules' facts (``Needs``): what makes a class a candidate.
    ``every_class``: a selected rule declares nothing, so no class can be ruled out."""

    every_class: bool = False
    writes: bool = False
    self_writes: bool = False
    read_depth: Optional[int] = None

    @classmethod
    def for_rules(cls, rule_classes: Sequence[type]) -> "ClassFacts":
        writes = self_writes = False
        read_depth: Optional[int] = None
        for rule in analysed_by(rule_classes):
            needs = getattr(rule, "needs", None)
            if needs is None:
                return cls(every_class=True)
            writes |= needs.writes
            self_writes |= needs.self_writes
            if needs.read_depth is not None:
                read_depth = needs.read_depth if read_depth is None else min(read_depth, needs.read_depth)
        return cls(False, writes, self_writes, read_depth)


def may_have_findings(tree: ast.Module, rule_classes: Sequence[type]) -> bool:
    candidates = candidate_classes(tree, ClassFacts.for_rules(rule_classes))
    return candidates is None or bool(candidates)


def candidate_classes(tree: ast.Module, facts_wanted: ClassFacts) -> Optional[Set[str]]:
    """Names of the top-level classes that may hold a finding for rules that need
    ``facts_wanted``; None when every class may (a rule declares nothing)."""
    if facts_wanted.every_class:
        return None
    from .modules import forward_entry_points, top_level_classes  # loads LibCST: not for TextFilter

    found: Set[str] = set()
    wants_writes = facts_wanted.writes
    read_depth = facts_wanted.read_depth
    wants_self = facts_wanted.self_writes
    classes = list(top_level_classes(tree.body))
    getters = setters = None
    for cls in classes:
        methods: Dict[str, ast.AST] = {}
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[stmt.name] = stmt
        inherited = not forward_entry_points(methods)
        if inherited and not (cls.bases and len(methods) > ("__init__" in methods)):
            continue  # no forward of its own, and nothing an inherited one could reach
        if getters is None:
            getters = _getters(classes)
            setters = _property_setters(classes)
        facts = _LazyFacts(methods, getters, setters or frozenset())
        # A class without a forward may override what an inherited forward calls: any method.
        reachable = [name for name in methods if name != "__init__"] if inherited else _reachable(facts)
        params: Dict[str, Depth] = {}
        for _ in range(4):  # helper parameters get what their callers pass, to a fixed point
            for name in reachable:
                facts[name].solve(params.get(name))
            new = _call_site_bounds(facts, reachable)
            if new == params:
                break
            params = new
        for name in reachable:
            fact = facts[name]
            if (
                (wants_writes and fact.writes_through_derived())
                or (read_depth is not None and fact.reads_deep(read_depth))
                or (wants_self and fact.self_writes)
            ):
                found.add(cls.name)
                break
    return found


def _self_name(method) -> Optional[str]:
    for decorator in method.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id in ("staticmethod", "classmethod"):
            return None
    args = method.args.posonlyargs + method.args.args
    return args[0].arg if args else None


def _flatten(target) -> Iterable[ast.AST]:
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _flatten(element)
    elif isinstance(target, ast.Starred):
        yield from _flatten(target.value)
    else:
        yield target


def _max(a: Depth, b: Depth) -> Depth:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


class _MethodFacts:
    """What one method does, gathered in a single walk, then solved for name depths."""

    def __init__(self, method, getters: AbstractSet[str] = frozenset(), setters: AbstractSet[str] = frozenset()):
        self.method = method
        self.self_name = _self_name(method)
        self.getters = getters  # methods of the class that may return a submodule
        self.setters = setters  # property setters of the file's classes: `self.x = v` runs one
        self.method_receivers: List[ast.AST] = []  # `recv.m(...)`: a submodule's method may write
        self.bindings: List[Tuple[ast.AST, ast.AST, int]] = []  # (target, value, extra links)
        self.write_bases: List[ast.AST] = []  # objects that attributes are written on
        self.setattr_objects: List[ast.AST] = []
        self.context_args: List[ast.AST] = []
        self.attributes: List[ast.Attribute] = []
        self.self_calls: List[Tuple[str, List[ast.expr]]] = []
        self.self_references: Set[str] = set()
        self.passed_methods: Set[str] = set()  # `self.m` used as a value, e.g. self.apply(self.m)
        self.self_writes = False
        self.setter_writes = False
        self.nested_params: Set[str] = set()
        self.names: Dict[str, Depth] = {}
        self._collect()

    def _collect(self) -> None:
        self_name = self.self_name
        call_funcs: Set[int] = set()
        for node in _walk(self.method):  # parents first: a call is seen before its callee
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self.bindings.append((target, node.value, 0))
                    self._write_targets(target)
            elif isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    self.bindings.append((node.target, node.value, 0))
                    self._write_targets(node.target)
            elif isinstance(node, ast.AugAssign):
                self._write_targets(node.target)
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    self._write_targets(target)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                self.bindings.append((node.target, node.iter, 1))
            elif isinstance(node, ast.NamedExpr):
                self.bindings.append((node.target, node.value, 0))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    call = item.context_expr
                    if isinstance(call, ast.Call):
                        self.context_args.extend(call.args)
                        self.context_args.extend(k.value for k in call.keywords)
            elif isinstance(node, ast.Call):
                func = node.func
                call_funcs.add(id(func))
                if isinstance(func, ast.Name) and func.id == "setattr" and node.args:
                    self.setattr_objects.append(node.args[0])
                elif isinstance(func, ast.Attribute) and func.attr == "__setattr__" and node.args:
                    self.setattr_objects.append(node.args[0])
                elif isinstance(func, ast.Attribute) and func.attr == "update":
                    holder = func.value  # m.__dict__.update(...), vars(m).update(...)
                    if isinstance(holder, ast.Attribute) and holder.attr == "__dict__":
                        self.setattr_objects.append(holder.value)
                    elif (
                        isinstance(holder, ast.Call)
                        and isinstance(holder.func, ast.Name)
                        and holder.func.id == "vars"
                        and holder.args
                    ):
                        self.setattr_objects.append(holder.args[0])
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == self_name:
                    self.self_calls.append((func.attr, list(node.args) + [k.value for k in node.keywords]))
                elif isinstance(func, ast.Attribute) and submodule_method_may_write(func.attr):
                    self.method_receivers.append(func.value)
            elif isinstance(node, ast.Attribute):
                self.attributes.append(node)
                if isinstance(node.value, ast.Name) and node.value.id == self_name:
                    self.self_references.add(node.attr)
                    if id(node) not in call_funcs:
                        self.passed_methods.add(node.attr)
            elif isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)) and node is not self.method:
                args = node.args
                for arg in args.posonlyargs + args.args + args.kwonlyargs:
                    self.nested_params.add(arg.arg)

    def _write_targets(self, target) -> None:
        for item in _flatten(target):
            if isinstance(item, ast.Attribute):
                if isinstance(item.value, ast.Name) and item.value.id == self.self_name:
                    self.self_writes = True
                    if item.attr in self.setters:
                        self.setter_writes = True
                else:
                    self.write_bases.append(item.value)
            elif isinstance(item, ast.Subscript):
                base = item.value
                if isinstance(base, ast.Attribute) and base.attr == "__dict__":
                    self.write_bases.append(base.value)
                elif (
                    isinstance(base, ast.Call)
                    and isinstance(base.func, ast.Name)
                    and base.func.id == "vars"
                    and base.args
                ):
                    self.write_bases.append(base.args[0])

    # -- depths ---------------------------------------------------------------------------
    def solve(self, params: Depth) -> None:
        names: Dict[str, Depth] = {}
        args = self.method.args
        for arg in args.posonlyargs + args.args + args.kwonlyargs:
            names[arg.arg] = params
        for name in self.nested_params:
            names[name] = _max(names.get(name), 1)  # apply(fn) hands each module to fn
        if self.self_name is not None:
            names[self.self_name] = 0
        self.names = names
        for _ in range(10):
            changed = False
            for target, value, extra in self.bindings:
                changed |= self._bind(target, value, extra)
            if not changed:
                break

    def _bind(self, target, value, extra: int) -> bool:
        """Bind ``target`` from ``value`` (``extra`` is 1 when iterating it). Tuple targets take
        their parts position by position where the value's shape is known, as the analysis does."""
        if isinstance(target, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in target.elts):
            parts = self._parts(value, extra, len(target.elts))
            if parts is not None:
                changed = False
                for element, depth in zip(target.elts, parts):
                    changed |= self._bind_depth(element, depth)
                return changed
        depth = self.depth(value)
        return self._bind_depth(target, None if depth is None else depth + extra)

    def _parts(self, value, extra: int, count: int) -> Optional[List[Depth]]:
        if extra == 0 and isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == count:
            if not any(isinstance(e, ast.Starred) for e in value.elts):
                return [self.depth(e) for e in value.elts]
        if extra == 1 and isinstance(value, ast.Call):
            func = value.func
            plus = lambda d: None if d is None else d + 1  # noqa: E731 - one step into a container
            if isinstance(func, ast.Name) and func.id == "zip" and len(value.args) == count and not value.keywords:
                if not any(isinstance(a, ast.Starred) for a in value.args):
                    return [plus(self.depth(a)) for a in value.args]
            if isinstance(func, ast.Name) and func.id == "enumerate" and value.args and count == 2:
                return [None, plus(self.depth(value.args[0]))]
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("items", "named_modules", "named_children")
                and count == 2
            ):
                return [None, plus(self.depth(func.value))]
        return None

    def _bind_depth(self, target, depth: Depth) -> bool:
        if depth is None:
            return False
        changed = False
        for name_node in ast.walk(target):
            if isinstance(name_node, ast.Name) and name_node.id != self.self_name:
                old = self.names.get(name_node.id)
                if old is None or old < depth:
                    self.names[name_node.id] = depth
                    changed = True
        return changed

    def depth(self, node) -> Depth:
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            below = self.depth(node.value)
            return None if below is None else below + 1
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "chain"
                and isinstance(func.value, ast.Name)
                and func.value.id == "itertools"
            ):
                func = ast.Name("chain")
            if isinstance(func, ast.Name) and func.id in _PASS_THROUGH:
                inner: Depth = None
                for arg in node.args:
                    inner = _max(inner, self.depth(arg))
                return None if inner is None else inner + 1
            if isinstance(func, ast.Attribute) and func.attr in _ELEMENT_METHODS:
                inner = self.depth(func.value)
                return None if inner is None else inner + 1
            if isinstance(func, ast.Attribute) and not node.args and module_getter_name(func.attr):
                inner = self.depth(func.value)  # base_layer.out_proj.get_base_layer()
                if inner is not None and inner > 0:
                    return inner + 1
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == self.self_name:
                # self.get_base_layer(): a getter (a method of a class of this file that is
                # annotated or returns self.<x>, or an inherited get_*() without arguments) may
                # return a submodule; self.norm(x) calls a submodule and returns a tensor.
                if func.attr in self.getters or (func.attr.startswith("get_") and not node.args and not node.keywords):
                    return 1
                return None
            return None
        if isinstance(node, ast.IfExp):
            return _max(self.depth(node.body), self.depth(node.orelse))
        if isinstance(node, ast.BoolOp):
            result: Depth = None
            for value in node.values:
                result = _max(result, self.depth(value))
            return result
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            result = None
            for element in node.elts:
                result = _max(result, self.depth(element))
            return result
        if isinstance(node, (ast.NamedExpr, ast.Starred)):
            return self.depth(node.value)
        return None

    def _derived_other_than_self(self, node) -> bool:
        if isinstance(node, ast.Name) and node.id == self.self_name:
            return False
        return self.depth(node) is not None

    def writes_through_derived(self) -> bool:
        if self.setter_writes or any(self._derived_other_than_self(base) for base in self.write_bases):
            return True
        if any(self._derived_other_than_self(recv) for recv in self.method_receivers):
            return True  # layer.set_skip(v): the block's method may write below it
        if any(self._derived_other_than_self(obj) for obj in self.setattr_objects):
            return True
        return any(self.depth(arg) is not None for arg in self.context_args)

    def reads_deep(self, threshold: int = _DEEP_READ) -> bool:
        for node in self.attributes:
            depth = self.depth(node)
            if depth is not None and depth >= threshold:
                return True
        return False


def _getters(classes) -> Set[str]:
    """Methods that may return a submodule, by name: those of any class of the file that are
    annotated or ``return self.<x>`` (a base class in the same file), and ``get_*`` for getters
    inherited from other files (``self.get_base_layer()``)."""
    found: Set[str] = set()
    for cls in classes:
        for method in cls.body:
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                _may_name_a_module(method.returns)
                or any(
                    isinstance(stmt, ast.Return)
                    and isinstance(stmt.value, ast.Attribute)
                    and isinstance(stmt.value.value, ast.Name)
                    for stmt in _statements(method.body)
                )
            ):
                found.add(method.name)
    return found


def _property_setters(classes) -> Set[str]:
    """Names of the property setters (``@x.setter``) of the file's classes."""
    found: Set[str] = set()
    for cls in classes:
        for method in cls.body:
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in method.decorator_list:
                    if isinstance(decorator, ast.Attribute) and decorator.attr == "setter":
                        found.add(method.name)
    return found


_NOT_MODULE_RETURNS = {"Tensor", "Any", "None", "Parameter", "Size", "dtype", "device"}


def _may_name_a_module(annotation) -> bool:
    """A return annotation the analysis could resolve to a module class: a plain (dotted) class
    name, not ``torch.Tensor``, ``bool`` or a subscript such as ``Optional[...]``."""
    while isinstance(annotation, ast.Attribute):
        if not isinstance(annotation.value, (ast.Attribute, ast.Name)):
            return False
        last = annotation.attr
        break
    else:
        if not isinstance(annotation, ast.Name):
            return False
        last = annotation.id
    return last[:1].isupper() and last not in _NOT_MODULE_RETURNS


def _statements(body) -> Iterable[ast.stmt]:
    """Every statement of a body, nested blocks included, without descending into expressions."""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            stack.extend(getattr(stmt, field, ()) or ())
        for handler in getattr(stmt, "handlers", ()) or ():
            stack.extend(handler.body)


class _LazyFacts(dict):
    """Method name -> facts, gathered only for the methods that reachability visits."""

    def __init__(
        self, methods: Dict[str, Any], getters: AbstractSet[str] = frozenset(), setters: AbstractSet[str] = frozenset()
    ):
        super().__init__()
        self.methods = methods
        self.getters = getters
        self.setters = setters
        self._dispatch: Optional[Dict[str, List[str]]] = None

    @property
    def dispatch(self) -> Dict[str, List[str]]:
        """``self.X = self.m`` anywhere in the class: a call of ``self.X`` runs ``m``."""
        if self._dispatch is None:
            self._dispatch = {}
            for method in self.methods.values():
                for node in _statements(method.body):
                    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute):
                        if isinstance(node.value.value, ast.Name) and node.value.attr in self.methods:
                            for target in node.targets:
                                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                                    self._dispatch.setdefault(target.attr, []).append(node.value.attr)
        return self._dispatch

    def __contains__(self, name) -> bool:
        return name in self.methods

    def __missing__(self, name: str) -> _MethodFacts:
        fact = _MethodFacts(self.methods[name], self.getters, self.setters)
        self[name] = fact
        return fact


_FIELDS: Dict[type, Tuple[str, ...]] = {}
_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.Constant)


def _walk(root) -> List[ast.AST]:
    """Every node under ``root``, parents before children (``ast.walk`` without its overhead)."""
    out = [root]
    index = 0
    fields_of = _FIELDS
    while index < len(out):
        node = out[index]
        index += 1
        names = fields_of.get(type(node))
        if names is None:
            names = fields_of[type(node)] = tuple(node._fields)
        for name in names:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and not isinstance(item, _LEAVES):
                        out.append(item)
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                out.append(value)
    return out


def _reachable(facts: "_LazyFacts") -> List[str]:
    """``forward`` and the methods it reaches through ``self.m(...)`` or ``self.m`` references
    (``self.apply(self.m)``), never ``__init__``: the analysis's reachability, or more."""
    from .modules import forward_entry_points

    order: List[str] = []
    queue = list(reversed(forward_entry_points(facts.methods)))
    while queue:
        name = queue.pop()
        if name in order or name not in facts or name == "__init__":
            continue
        order.append(name)
        for ref in facts[name].self_references:
            queue.extend(facts.dispatch.get(ref, ()))
            if ref in facts:
                queue.append(ref)
    return order


def _call_site_bounds(facts: Dict[str, _MethodFacts], reachable: List[str]) -> Dict[str, Depth]:
    bound: Dict[str, Depth] = {}
    for name in reachable:
        fact = facts[name]
        for passed in fact.passed_methods:
            if passed in facts and passed != "forward":
                bound[passed] = _max(bound.get(passed), 1)  # apply(self.m) hands modules to m
        for callee, args in fact.self_calls:
            if callee not in facts or callee == "forward":
                continue
            for arg in args:
                bound[callee] = _max(bound.get(callee), fact.depth(arg))
    return bound
