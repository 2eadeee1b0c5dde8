"""Planning the argument-threading fix for a ZL001 write.

For ``E.a1.….an.attr = value`` in ``Parent.forward`` followed by a call ``E(...)``, the plan:
removes the write, passes ``value`` as a keyword at the call of ``E``, adds a keyword parameter
(default ``None``) to every forward on the path ``E -> a1 -> … -> an`` and passes it on at each
call on the path, and in the owner of ``attr`` reads the argument when it is given. Plans are
pure data (edits keyed by the identity of the nodes they change); ``apply`` turns them into code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from ..cst_util import all_params, child_nodes, first_param_name, iter_statements, self_attribute
from ..forward import AttributeWrite, ClassAnalysis, SubmoduleCall
from ..index import ProjectIndex
from ..modules import ClassSummary, ModuleSummary
from ..types import ContainerType, ModuleType


@dataclass
class FixPlan:
    """Edits for one or more findings, grouped by file (a module summary)."""

    add_params: Dict[int, List[Tuple[str, Optional[str]]]] = field(default_factory=dict)
    add_kwargs: Dict[int, List[Tuple[str, cst.BaseExpression]]] = field(default_factory=dict)
    remove: Set[int] = field(default_factory=set)
    drop_finally: Set[int] = field(default_factory=set)  # try statements whose finally clause goes
    bind_once: Dict[int, List[Tuple[str, str]]] = field(default_factory=dict)  # func -> (param, attr)
    replace_reads: Dict[int, str] = field(default_factory=dict)  # self.attr node -> param
    needs_optional: Set[int] = field(default_factory=set)  # summaries whose file needs `Optional`
    files: Dict[int, ModuleSummary] = field(default_factory=dict)
    parents: Set[int] = field(default_factory=set)  # summaries whose file holds a removed write

    def touch(self, summary: ModuleSummary) -> None:
        self.files[id(summary)] = summary

    def merge(self, other: "FixPlan") -> None:
        for key, items in other.add_params.items():
            bucket = self.add_params.setdefault(key, [])
            bucket.extend(item for item in items if item[0] not in [b[0] for b in bucket])
        for key, items in other.add_kwargs.items():
            bucket = self.add_kwargs.setdefault(key, [])
            for name, value in items:
                bucket[:] = [b for b in bucket if b[0] != name]
                bucket.append((name, value))
        self.remove |= other.remove
        self.drop_finally |= other.drop_finally
        for key, items in other.bind_once.items():
            bucket = self.bind_once.setdefault(key, [])
            bucket.extend(item for item in items if item not in bucket)
        self.replace_reads.update(other.replace_reads)
        self.needs_optional |= other.needs_optional
        self.files.update(other.files)
        self.parents |= other.parents


@dataclass
class FixVerdict:
    plan: Optional[FixPlan]
    safe: bool = True
    reason: str = ""  # why there is no fix, or why it is unsafe
    title: str = ""


class Unfixable(Exception):
    pass


def _is_prefix(prefix, links) -> bool:
    return len(prefix) <= len(links) and tuple(links[: len(prefix)]) == tuple(prefix)


def _after(write_trail, call_trail) -> bool:
    """The call runs after the write, in the same block as the write or a block nested in it."""
    depth = len(write_trail)
    if len(call_trail) < depth or tuple(call_trail[: depth - 1]) != tuple(write_trail[: depth - 1]):
        return False
    block, position = write_trail[-1]
    call_block, call_position = call_trail[depth - 1]
    return block == call_block and call_position > position


def _names_in(node: cst.CSTNode) -> Set[str]:
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


def _bound_names(node: cst.CSTNode) -> Set[str]:
    """Names a statement (re)binds, including in nested blocks."""
    bound: Set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        targets = []
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
        for target in targets:
            stack_t = [target]
            while stack_t:
                t = stack_t.pop()
                if isinstance(t, cst.Name):
                    bound.add(t.value)
                elif isinstance(t, (cst.Tuple, cst.List)):
                    stack_t.extend(el.value for el in t.elements)
                elif isinstance(t, cst.StarredElement):
                    stack_t.append(t.value)
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(child_nodes(current))
    return bound


def _statements_between(function: cst.FunctionDef, trail, call: SubmoduleCall) -> List[cst.CSTNode]:
    """Statements of the write's block strictly after the write and before the one holding the call."""
    block_id, write_pos = trail[-1]
    _, call_pos = call.trail[len(trail) - 1]
    block = _find_block(function, block_id)
    if block is None:
        return []
    statements = list(iter_statements(block))
    return statements[write_pos + 1 : call_pos]


def _find_block(node: cst.CSTNode, block_id: int):
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) == block_id:
            return current
        stack.extend(child_nodes(current))
    return None


def _statements_after(function: cst.FunctionDef, trail) -> List[cst.CSTNode]:
    """Statements of the write's block after the write (their nested blocks included)."""
    block_id, write_pos = trail[-1]
    block = _find_block(function, block_id)
    return list(iter_statements(block))[write_pos + 1 :] if block is not None else []


# Calls that look at a module without running its forward.
_INTROSPECTION = {"isinstance", "hasattr", "getattr", "type", "id", "len", "repr", "str", "print"}
_EMPTY_MODULE = cst.Module(body=[])


def _passed_as_value(statements: List[cst.CSTNode], block_code: str) -> Optional[str]:
    """Where the block itself is handed on as a value after the write: an argument of a call (a
    checkpoint function, ``functools.partial``, a hook), an assignment, a return. An argument added
    at the block's own call cannot follow it there. ``None`` when the block is only called, looked
    into (``block.attr``) or inspected (``isinstance(block, ...)``)."""
    stack: List[Tuple[cst.CSTNode, Optional[cst.Call]]] = [(s, None) for s in reversed(statements)]
    while stack:
        node, argument_of = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)) and _code(node) == block_code:
            if argument_of is None:
                return block_code
            func = argument_of.func
            if not (isinstance(func, cst.Name) and func.value in _INTROSPECTION):
                return _code(argument_of)
            continue
        if isinstance(node, cst.Call):
            if _code(node.func) != block_code:  # the block's own call is what the fix extends
                stack.append((node.func, None))
            stack.extend((arg.value, node) for arg in node.args)
            continue
        if isinstance(node, cst.Attribute) and _code(node.value) == block_code:
            continue  # `block.attr`: a look inside, reported by other rules
        targets = _binding_targets(node)
        stack.extend((child, None) for child in child_nodes(node) if not any(child is t for t in targets))
    return None


def _binding_targets(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The parts of a statement that bind names (``for layer in ...``): not uses of a value."""
    if isinstance(node, (cst.For, cst.CompFor, cst.AnnAssign, cst.AugAssign)):
        return [node.target]
    if isinstance(node, cst.Assign):
        return list(node.targets)
    if isinstance(node, cst.AsName):
        return [node.name]
    return []


def _code(node: cst.CSTNode) -> str:
    return _EMPTY_MODULE.code_for_node(node)


def _literal_type(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return "bool"
    if isinstance(node, cst.Integer):
        return "int"
    if isinstance(node, cst.Float):
        return "float"
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return "str"
    return None


def attribute_python_type(cls: ClassSummary, attr: str) -> Optional[str]:
    """The builtin type of ``self.attr`` when ``__init__`` (or a class annotation) makes it plain."""
    annotation = cls.annotations.get(attr)
    if isinstance(annotation, cst.Name) and annotation.value in ("bool", "int", "float", "str"):
        return annotation.value
    init = cls.methods.get("__init__")
    if init is None:
        return None
    self_name = first_param_name(init)
    stack: List[cst.CSTNode] = [init.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if self_attribute(target.target, self_name) == attr:
                    return _literal_type(node.value) or _parameter_type(init, node.value)
        elif isinstance(node, cst.AnnAssign) and self_attribute(node.target, self_name) == attr:
            ann = node.annotation.annotation
            if isinstance(ann, cst.Name) and ann.value in ("bool", "int", "float", "str"):
                return ann.value
            return _literal_type(node.value) if node.value is not None else None
        stack.extend(child_nodes(node))
    return None


def _parameter_type(init: cst.FunctionDef, value: cst.BaseExpression) -> Optional[str]:
    """The builtin type of an ``__init__`` parameter assigned as it is (``self.flag = flag``), from
    its annotation (``flag: bool``) or else its literal default (``flag=False``)."""
    if not isinstance(value, cst.Name):
        return None
    params = init.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value != value.value:
            continue
        if param.annotation is not None:
            ann = param.annotation.annotation
            if isinstance(ann, cst.Name) and ann.value in ("bool", "int", "float", "str"):
                return ann.value
            return None
        return _literal_type(param.default) if param.default is not None else None
    return None


def _single_use_assignment(function: cst.FunctionDef, name_node) -> Optional[cst.Assign]:
    """``n = <expr>`` when ``name_node`` is the name ``n`` and this is its only use: such an alias
    (``attn = layer.attention.attn``) or saved value (``old = layer.attn.flag``) goes with the
    write that uses it, since the reach-through itself is what fails under a block wrapper."""
    if not isinstance(name_node, cst.Name):
        return None
    assignments: List[cst.Assign] = []
    uses = 0
    stack: List[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign):
            if any(isinstance(t.target, cst.Name) and t.target.value == name_node.value for t in node.targets):
                if len(node.targets) != 1:
                    return None
                assignments.append(node)
                stack.append(node.value)
                continue
        if isinstance(node, cst.Attribute):
            stack.append(node.value)  # `.attr` names are not uses of a variable
            continue
        if isinstance(node, cst.Name) and node.value == name_node.value:
            uses += 1
        stack.extend(child_nodes(node))
    if len(assignments) == 1 and uses == 1:
        return assignments[0]
    return None


def _only_statement(body, statement) -> bool:
    statements = []
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            statements.extend(stmt.body)
        else:
            statements.append(stmt)
    return len(statements) == 1 and statements[0] is statement


def _enclosing_module_loop(write: AttributeWrite):
    """The ``for m in self.modules():`` loop around a broadcast write, and its trail."""
    from ..forward import MODULE_ITERATORS

    for depth in range(len(write.trail), 0, -1):
        block_id, position = write.trail[depth - 1]
        block = _find_block(write.function, block_id)
        if block is None:
            continue
        statements = list(iter_statements(block))
        stmt = statements[position] if position < len(statements) else None
        if isinstance(stmt, cst.For):
            it = stmt.iter
            if isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and it.func.attr.value in MODULE_ITERATORS:
                return stmt, write.trail[:depth]
    return None, None


def _loop_only_sets(loop: cst.For, write: AttributeWrite) -> bool:
    """The loop body is the write, alone or inside one ``if isinstance(...)`` without else."""
    if loop.orelse is not None:
        return False
    statements = list(iter_statements(loop.body))
    if len(statements) == 1 and statements[0] is write.statement:
        return True
    if len(statements) == 1 and isinstance(statements[0], cst.If) and statements[0].orelse is None:
        inner = list(iter_statements(statements[0].body))
        return len(inner) == 1 and inner[0] is write.statement
    return False


class Planner:
    def __init__(self, index: ProjectIndex, template: str):
        self.index = index
        self.template = template

    def param_name(self, attr: str) -> str:
        return self.template.replace("{attr}", attr)

    # -- entry points ------------------------------------------------------------------------
    def plan(self, parent: ClassSummary, write: AttributeWrite) -> FixVerdict:
        """A direct write (ZL001) or a ``setattr``-style write (ZL002)."""
        return self._guard(lambda: self._plan_write(parent, write))

    def plan_toggle(self, parent: ClassSummary, toggle) -> FixVerdict:
        """A set-then-restore toggle (ZL004): thread the set value, drop both halves."""
        return self._guard(lambda: self._plan_toggle(parent, toggle))

    def plan_broadcast(self, parent: ClassSummary, write: AttributeWrite) -> FixVerdict:
        """A write inside a loop over ``modules()`` (ZL003), narrowed to one class."""
        return self._guard(lambda: self._plan_broadcast(parent, write))

    @staticmethod
    def _guard(make) -> FixVerdict:
        try:
            return make()
        except Unfixable as exc:
            return FixVerdict(None, False, str(exc))

    def _check_write(self, write: AttributeWrite) -> None:
        if write.kind in ("augassign", "delete"):
            verb = "an augmented assignment reads the previous value" if write.kind == "augassign" else "`del` removes state"
            raise Unfixable(f"no fix: {verb}; it cannot become an argument")
        if write.attr is None:
            raise Unfixable("no fix: the attribute name is not a string literal")
        if write.value is None or (write.form in ("setattr", "object.__setattr__") and write.statement is write.target):
            raise Unfixable("no fix: the write is part of a larger expression")

    def _plan_write(self, parent: ClassSummary, write: AttributeWrite) -> FixVerdict:
        self._check_write(write)
        if write.owner.broadcast:
            raise Unfixable("no fix: the write reaches modules through modules()/children(), not a named path")
        analysis: ClassAnalysis = self.index.analysis(parent)
        call = self._block_call(analysis, write.function, write.trail, write.owner.links)
        plan = FixPlan()
        plan.touch(parent.module)
        plan.parents.add(id(parent.module))
        plan.remove.add(id(write.statement))
        alias = _single_use_assignment(write.function, write.owner_expr)
        if alias is not None:
            plan.remove.add(id(alias))
        title, safe, why = self._thread(plan, analysis, write, call, write.owner.links, write.trail)
        return FixVerdict(plan, safe, why, title)

    def _plan_toggle(self, parent: ClassSummary, toggle) -> FixVerdict:
        verdict = self._plan_write(parent, toggle.first)
        plan = verdict.plan
        restore = toggle.restore
        saved = _single_use_assignment(restore.function, restore.value) if restore.value is not None else None
        if saved is not None:
            plan.remove.add(id(saved))
        try_stmt = toggle.try_statement
        if try_stmt is not None and _only_statement(try_stmt.finalbody.body.body, restore.statement):
            plan.drop_finally.add(id(try_stmt))
        else:
            plan.remove.add(id(restore.statement))
        return verdict

    def _plan_broadcast(self, parent: ClassSummary, write: AttributeWrite) -> FixVerdict:
        self._check_write(write)
        loop, loop_trail = _enclosing_module_loop(write)
        if loop is None:
            raise Unfixable("no fix: apply(fn) cannot be rewritten; move the setting into an argument by hand")
        if not _loop_only_sets(loop, write):
            raise Unfixable("no fix: the loop does more than set the attribute")
        owner_type = write.owner.type
        if not isinstance(owner_type, ModuleType) or owner_type.cls is None:
            raise Unfixable(
                "no fix: the loop sets the attribute on every module; narrow it with isinstance() to the class that reads it"
            )
        chains = self._chains_to(parent, owner_type.cls)
        if not chains:
            raise Unfixable(f"no fix: no submodule path from {parent.name} to {owner_type.cls.name} is resolved")
        analysis: ClassAnalysis = self.index.analysis(parent)
        plan = FixPlan()
        plan.touch(parent.module)
        plan.parents.add(id(parent.module))
        plan.remove.add(id(loop))
        titles, unsafe = [], []
        for links in chains:
            call = self._block_call(analysis, write.function, loop_trail, links)
            title, safe, why = self._thread(plan, analysis, write, call, links, loop_trail)
            titles.append(title)
            if not safe:
                unsafe.append(why)
        return FixVerdict(plan, not unsafe, unsafe[0] if unsafe else "", titles[0])

    # -- the shared threading machinery ---------------------------------------------------------
    def _thread(self, plan: FixPlan, analysis: ClassAnalysis, write: AttributeWrite, call: SubmoduleCall,
                links, anchor_trail) -> Tuple[str, bool, str]:
        """Pass ``write.value`` at ``call`` and thread it down ``links`` to the owner of the attribute."""
        for link in links:
            if not link.resolved:
                raise Unfixable(f"no fix: `{link.expression}` is not resolved ({link.reason or 'unknown class'})")
        block_type = call.callee.type
        if not isinstance(block_type, ModuleType) or block_type.cls is None:
            raise Unfixable("no fix: the called block's class is not in the checked tree")
        value = write.value
        block_code = _code(call.call.func)
        handed_on = _passed_as_value(_statements_after(write.function, anchor_trail), block_code)
        if handed_on is not None:
            raise Unfixable(f"no fix: `{block_code}` is also handed on as a value (`{handed_on}`), "
                            f"where an argument added at its call would not follow it")
        param = self.param_name(write.attr)
        for target in self._calls_after_write(analysis, write, call, block_code, anchor_trail):
            between = _statements_between(write.function, anchor_trail, target)
            rebound = _names_in(value) & set().union(*[_bound_names(s) for s in between]) if between else set()
            if rebound:
                names = ", ".join(f"`{n}`" for n in sorted(rebound))
                raise Unfixable(f"no fix: the value depends on {names}, rebound between the write and the call")
            plan.add_kwargs.setdefault(id(target.call), []).append((param, value))

        # Resolve the classes down the chain first: E's class, then each `.a_k` submodule.
        steps: List[Tuple[ClassSummary, str]] = []
        current = block_type.cls
        for link in links[len(call.callee.links):]:
            if not link.expression.startswith("."):
                raise Unfixable(f"no fix: `{link.expression}` is not an attribute step")
            attr_name = link.expression[1:]
            sub = self.index.submodules(current).get(attr_name)
            if sub is None or not isinstance(sub.type, ModuleType) or sub.type.cls is None:
                raise Unfixable(f"no fix: `{current.name}.{attr_name}` is not a module class in the checked tree")
            steps.append((current, attr_name))
            current = sub.type.cls
        owner = current
        reads = self._owner_reads(owner, write.attr)
        if not reads:
            raise Unfixable(f"no fix: {owner.name} never reads `{write.attr}` during forward; nothing to thread")
        attr_type = attribute_python_type(owner, write.attr)
        self._ensure_param(plan, block_type.cls, "forward", param, attr_type)
        for cls, attr_name in steps:
            self._thread_to_submodule(plan, cls, attr_name, param, attr_type)
        for method_name, read_nodes in reads.items():
            func = owner.methods[method_name]
            self._ensure_param(plan, owner, method_name, param, attr_type)
            if any(p.name.value == param for p in all_params(func)):
                continue  # the method already takes the override and decides itself
            plan.bind_once.setdefault(id(func), []).append((param, write.attr))
            for node in read_nodes:
                plan.replace_reads[id(node)] = param
        safe, why = self._safety(analysis, write, call, owner, reads, anchor_trail)
        title = f"Pass `{param}` to `{call.callee.links[-1].class_name}` instead of setting `{write.attr}`"
        return title, safe, why

    def _chains_to(self, parent: ClassSummary, target: ClassSummary, limit: int = 8):
        """Every resolved submodule path from ``parent`` to instances of ``target``, as chain links."""
        from ..forward import _link_for

        found = []

        def walk(cls: ClassSummary, links, depth: int, seen) -> None:
            if depth > limit:
                return
            for name, sub in sorted(self.index.submodules(cls).items()):
                expr = f"self.{name}" if not links else f".{name}"
                step = links + (_link_for(expr, sub.type),)
                typ = sub.type
                if isinstance(typ, ContainerType):
                    if typ.elem is None:
                        continue
                    step = step + (_link_for("[*]", typ.elem),)
                    typ = typ.elem
                if not isinstance(typ, ModuleType) or typ.cls is None or typ.cls in seen:
                    continue
                if typ.cls is target:
                    found.append(step)
                    continue
                walk(typ.cls, step, depth + 1, seen | {typ.cls})

        walk(parent, (), 0, {parent})
        return found

    # -- pieces ------------------------------------------------------------------------------
    def _block_call(self, analysis: ClassAnalysis, function, trail, owner_links) -> SubmoduleCall:
        candidates = [
            call for call in analysis.calls
            if call.function is function
            and _is_prefix(call.callee.links, owner_links)
            and _after(trail, call.trail)
        ]
        if not candidates:
            raise Unfixable("no fix: the block is not called after the write in the same block of code")
        # The nearest call after the write, and the deepest callee (the block itself).
        candidates.sort(key=lambda c: (c.trail[len(trail) - 1][1], -len(c.callee.links)))
        return candidates[0]

    def _thread_to_submodule(self, plan: FixPlan, cls: ClassSummary, attr: str, param: str, attr_type: Optional[str]) -> None:
        """In ``cls``, pass ``param`` at every forward-time call of ``self.<attr>``."""
        analysis: ClassAnalysis = self.index.analysis(cls)
        calls = [c for c in analysis.calls if len(c.callee.links) == 1 and c.callee.links[0].expression == f"self.{attr}"]
        if not calls:
            raise Unfixable(f"no fix: `{cls.name}.forward` never calls `self.{attr}`")
        plan.touch(cls.module)
        for call in calls:
            method = call.method
            self._ensure_param(plan, cls, method, param, attr_type)
            kwargs = plan.add_kwargs.setdefault(id(call.call), [])
            if param not in [k for k, _ in kwargs] and not _passes_keyword(call.call, param):
                kwargs.append((param, cst.Name(param)))

    def _ensure_param(self, plan: FixPlan, cls: ClassSummary, method: str, param: str, attr_type: Optional[str], _seen=None) -> None:
        """Give ``cls.method`` a keyword parameter ``param`` and pass it from forward down to it."""
        seen = _seen if _seen is not None else set()
        if method in seen:
            return
        seen.add(method)
        func = cls.methods.get(method)
        if func is None:
            raise Unfixable(f"no fix: {cls.name} does not define `{method}` itself")
        plan.touch(cls.module)
        if not any(p.name.value == param for p in all_params(func)):
            annotation = None
            if _is_annotated(func):
                annotation = f"Optional[{attr_type}]" if attr_type else None
                if attr_type:
                    plan.needs_optional.add(id(cls.module))
            entries = plan.add_params.setdefault(id(func), [])
            if param not in [e[0] for e in entries]:
                entries.append((param, annotation))
        if method == "forward":
            return
        analysis: ClassAnalysis = self.index.analysis(cls)
        callers = self._self_calls(cls, method, analysis.forward_methods)
        if not callers:
            raise Unfixable(f"no fix: cannot find how forward reaches `{cls.name}.{method}`")
        for caller_name, call in callers:
            self._ensure_param(plan, cls, caller_name, param, attr_type, seen)
            kwargs = plan.add_kwargs.setdefault(id(call), [])
            if param not in [k for k, _ in kwargs] and not _passes_keyword(call, param):
                kwargs.append((param, cst.Name(param)))

    def _self_calls(self, cls: ClassSummary, method: str, methods: List[str]) -> List[Tuple[str, cst.Call]]:
        found = []
        for name in methods:
            func = cls.methods[name]
            self_name = first_param_name(func)
            stack: List[cst.CSTNode] = [func.body]
            while stack:
                node = stack.pop()
                if isinstance(node, cst.Call) and self_attribute(node.func, self_name) == method:
                    found.append((name, node))
                stack.extend(child_nodes(node))
        return found

    def _owner_reads(self, owner: ClassSummary, attr: str) -> Dict[str, List[cst.Attribute]]:
        analysis: ClassAnalysis = self.index.analysis(owner)
        reads: Dict[str, List[cst.Attribute]] = {}
        for name in analysis.forward_methods:
            func = owner.methods[name]
            self_name = first_param_name(func)
            found, written = _self_reads(func, self_name, attr)
            if written:
                raise Unfixable(f"no fix: `{owner.name}.{name}` also assigns `self.{attr}`")
            if found:
                reads[name] = found
        return reads

    @staticmethod
    def _calls_after_write(analysis: ClassAnalysis, write: AttributeWrite, call: SubmoduleCall, block_code: str,
                           anchor_trail) -> List[SubmoduleCall]:
        """Every call of the same block that the write precedes (``if``/``else`` branches, a
        second call), each of which must receive the value; refused when the attribute is set
        again after the write, since a later call would then need the later value."""
        calls = [
            c for c in analysis.calls
            if c.function is write.function and _after(anchor_trail, c.trail) and _code(c.call.func) == block_code
        ]
        if len(calls) > 1 and any(
            w is not write and w.attr == write.attr and w.function is write.function and _after(anchor_trail, w.trail)
            for w in analysis.writes
        ):
            raise Unfixable("no fix: the block is called more than once after the write and the attribute is set again")
        return calls or [call]

    def _safety(self, analysis, write, call, owner, reads, anchor_trail) -> Tuple[bool, str]:
        # Read outside the forward paths that the fix threads?
        outside = []
        for name, func in owner.methods.items():
            if name in reads or name == "__init__":
                continue
            found, _ = _self_reads(func, first_param_name(func), write.attr)
            if found:
                outside.append(name)
        if outside:
            return False, f"`{owner.name}.{outside[0]}` reads `{write.attr}` outside the threaded forward path"
        # Other calls of the same block that the write does not precede.
        block_links = call.callee.links
        def preceded(c: SubmoduleCall) -> bool:
            if c.function is write.function and _after(anchor_trail, c.trail):
                return True
            return any(
                w.attr == write.attr and w.owner.type == write.owner.type and w.function is c.function
                and _is_prefix(c.callee.links, w.owner.links) and _after(w.trail, c.trail)
                for w in analysis.writes
            )

        others = [
            c for c in analysis.calls
            if c is not call and c.callee.type == call.callee.type and c.callee.links[0] == block_links[0]
            and not preceded(c)
        ]
        if others:
            return False, "the block is also called where the write does not precede the call"
        return True, ""


def _passes_keyword(call: cst.Call, name: str) -> bool:
    return any(arg.keyword is not None and arg.keyword.value == name for arg in call.args)


def _is_annotated(func: cst.FunctionDef) -> bool:
    params = [p for p in all_params(func)][1:]
    return any(p.annotation is not None for p in params) or func.returns is not None


def _self_reads(func: cst.FunctionDef, self_name: Optional[str], attr: str) -> Tuple[List[cst.Attribute], bool]:
    """Reads of ``self.attr`` in ``func`` (not assignment targets), and whether it assigns it."""
    reads: List[cst.Attribute] = []
    written = False
    targets: Set[int] = set()
    stack: List[cst.CSTNode] = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign):
            for t in node.targets:
                if self_attribute(t.target, self_name) == attr:
                    written = True
                    targets.add(id(t.target))
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)) and self_attribute(node.target, self_name) == attr:
            written = True
            targets.add(id(node.target))
        elif isinstance(node, cst.Attribute) and self_attribute(node, self_name) == attr and id(node) not in targets:
            reads.append(node)
        stack.extend(child_nodes(node))
    return reads, written
