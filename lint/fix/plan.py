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

from ..cst_util import all_params, first_param_name, iter_statements, self_attribute
from ..forward import AttributeWrite, ClassAnalysis, SubmoduleCall, SubValue
from ..index import ProjectIndex
from ..modules import ClassSummary, ModuleSummary
from ..types import ModuleType


@dataclass
class FixPlan:
    """Edits for one or more findings, grouped by file (a module summary)."""

    add_params: Dict[int, List[Tuple[str, Optional[str]]]] = field(default_factory=dict)
    add_kwargs: Dict[int, List[Tuple[str, cst.BaseExpression]]] = field(default_factory=dict)
    remove: Set[int] = field(default_factory=set)
    bind_once: Dict[int, List[Tuple[str, str]]] = field(default_factory=dict)  # func -> (param, attr)
    replace_reads: Dict[int, str] = field(default_factory=dict)  # self.attr node -> param
    needs_optional: Set[int] = field(default_factory=set)  # module ids that need `Optional`
    files: Dict[int, ModuleSummary] = field(default_factory=dict)

    def touch(self, summary: ModuleSummary) -> None:
        self.files[id(summary.module)] = summary

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
        for key, items in other.bind_once.items():
            bucket = self.bind_once.setdefault(key, [])
            bucket.extend(item for item in items if item not in bucket)
        self.replace_reads.update(other.replace_reads)
        self.needs_optional |= other.needs_optional
        self.files.update(other.files)


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
        stack.extend(current.children)
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
        stack.extend(current.children)
    return bound


def _statements_between(function: cst.FunctionDef, write: AttributeWrite, call: SubmoduleCall) -> List[cst.CSTNode]:
    """Statements of the write's block strictly after the write and before the one holding the call."""
    block_id, write_pos = write.trail[-1]
    _, call_pos = call.trail[len(write.trail) - 1]
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
        stack.extend(current.children)
    return None


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
                    return _literal_type(node.value)
        elif isinstance(node, cst.AnnAssign) and self_attribute(node.target, self_name) == attr:
            ann = node.annotation.annotation
            if isinstance(ann, cst.Name) and ann.value in ("bool", "int", "float", "str"):
                return ann.value
            return _literal_type(node.value) if node.value is not None else None
        stack.extend(node.children)
    return None


class Planner:
    def __init__(self, index: ProjectIndex, template: str):
        self.index = index
        self.template = template

    def param_name(self, attr: str) -> str:
        return self.template.replace("{attr}", attr)

    # -- entry point -------------------------------------------------------------------------
    def plan(self, parent: ClassSummary, write: AttributeWrite) -> FixVerdict:
        try:
            return self._plan(parent, write)
        except Unfixable as exc:
            return FixVerdict(None, False, str(exc))

    def _plan(self, parent: ClassSummary, write: AttributeWrite) -> FixVerdict:
        if write.kind in ("augassign", "delete"):
            verb = "an augmented assignment reads the previous value" if write.kind == "augassign" else "`del` removes state"
            raise Unfixable(f"no fix: {verb}; it cannot become an argument")
        if write.owner.broadcast:
            raise Unfixable("no fix: the write reaches modules through modules()/children(), not a named path")
        analysis: ClassAnalysis = self.index.analysis(parent)
        call = self._block_call(analysis, write)
        links = write.owner.links
        path_links = links[len(call.callee.links):]
        for link in links:
            if not link.resolved:
                raise Unfixable(f"no fix: `{link.expression}` is not resolved ({link.reason or 'unknown class'})")
        block_type = call.callee.type
        if not isinstance(block_type, ModuleType) or block_type.cls is None:
            raise Unfixable("no fix: the called block's class is not in the checked tree")
        value = write.statement.value
        between = _statements_between(write.function, write, call)
        rebound = _names_in(value) & set().union(*[_bound_names(s) for s in between]) if between else set()
        if rebound:
            names = ", ".join(f"`{n}`" for n in sorted(rebound))
            raise Unfixable(f"no fix: the value depends on {names}, rebound between the write and the call")

        plan = FixPlan()
        parent_summary = parent.module
        plan.touch(parent_summary)
        plan.remove.add(id(write.statement))
        alias = self._alias_only_used_here(write)
        if alias is not None:
            plan.remove.add(id(alias))
        param = self.param_name(write.attr)
        plan.add_kwargs.setdefault(id(call.call), []).append((param, value))

        # Resolve the classes down the chain first: E's class, then each `.a_k` submodule.
        steps: List[Tuple[ClassSummary, str]] = []
        current = block_type.cls
        for link in path_links:
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
        safe, why = self._safety(parent, analysis, write, call, owner, reads)
        title = f"Pass `{param}` to `{call.callee.links[-1].class_name}` instead of setting `{write.attr}`"
        return FixVerdict(plan, safe, why, title)

    # -- pieces ------------------------------------------------------------------------------
    def _alias_only_used_here(self, write: AttributeWrite) -> Optional[cst.Assign]:
        """``attn = layer.attention.attn`` whose only use is this write: it goes with the write,
        since the reach-through itself is what fails under a block wrapper."""
        base = write.target.value
        if not isinstance(base, cst.Name):
            return None
        assignments: List[cst.Assign] = []
        uses = 0
        stack: List[cst.CSTNode] = [write.function.body]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Assign):
                if any(isinstance(t.target, cst.Name) and t.target.value == base.value for t in node.targets):
                    if len(node.targets) != 1:
                        return None
                    assignments.append(node)
                    stack.append(node.value)
                    continue
            if isinstance(node, cst.Attribute):
                stack.append(node.value)  # `.attr` names are not uses of a variable
                continue
            if isinstance(node, cst.Name) and node.value == base.value:
                uses += 1
            stack.extend(node.children)
        if len(assignments) == 1 and uses == 1:
            return assignments[0]
        return None

    def _block_call(self, analysis: ClassAnalysis, write: AttributeWrite) -> SubmoduleCall:
        candidates = [
            call for call in analysis.calls
            if call.function is write.function
            and _is_prefix(call.callee.links, write.owner.links)
            and _after(write.trail, call.trail)
        ]
        if not candidates:
            raise Unfixable("no fix: the block is not called after the write in the same block of code")
        # The nearest call after the write, and the deepest callee (the block itself).
        candidates.sort(key=lambda c: (c.trail[len(write.trail) - 1][1], -len(c.callee.links)))
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
                    plan.needs_optional.add(id(cls.module.module))
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
                stack.extend(node.children)
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

    def _safety(self, parent, analysis, write, call, owner, reads) -> Tuple[bool, str]:
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
        stack.extend(node.children)
    return reads, written
