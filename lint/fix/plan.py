"""Planning the argument-threading fix for a ZL001 write.

For ``E.a1.….an.attr = value`` in ``Parent.forward`` followed by a call ``E(...)``, the plan:
evaluates ``value`` once where the write was (into a fresh local unless it is a literal or a name
nothing rebinds), removes the write (keeping any other target of a chained assignment), passes the
value as a keyword at every call of ``E`` the write precedes, adds a keyword parameter to every
forward on the path ``E -> a1 -> … -> an`` and passes it on at each call on the path, and in the
owner of ``attr`` reads the argument when it is given. The default that means "not given" is
``None`` when ``None`` is not among the values, else a private sentinel.

The planner's rule: a fix is *safe* when it preserves behaviour on every path zlint can see,
*unsafe* when it does under an assumption that the note states, and refused (with the reason)
otherwise. Plans are pure data (edits keyed by the identity of the nodes they change); ``apply``
turns them into code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from ..cst_util import all_params, child_nodes, first_param_name, iter_statements, self_attribute
from ..analysis_data import AttributeWrite, ClassAnalysis, SubmoduleCall, is_prefix
from ..trails import runs_after
from ..index import ProjectIndex
from ..modules import ClassSummary
from ..types import ContainerType, ModuleType, SubType
from .invocations import CALL_FORMS, invocations, is_invocation_of, passed_as_value
from .plan_data import SENTINEL, FixPlan
from .protect import protected_reason
from .values import (
    bound_names,
    code,
    fresh_name,
    is_literal,
    maybe_none,
    names_in,
    needs_local,
    rebound_after,
    value_type,
)

_passed_as_value = passed_as_value  # the name tests and older callers use


@dataclass
class FixVerdict:
    plan: Optional[FixPlan]
    safe: bool = True
    reason: str = ""  # why there is no fix, or why it is unsafe
    title: str = ""


class Unfixable(Exception):
    pass


def _find_block(node: cst.CSTNode, block_id: int):
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) == block_id:
            return current
        stack.extend(child_nodes(current))
    return None


def _statements_between(function: cst.FunctionDef, trail, call: SubmoduleCall) -> List[cst.CSTNode]:
    """Statements of the write's block after the write up to the one holding the call; that one
    too when it is compound (a loop or branch runs code before the call)."""
    block_id, write_pos = trail[-1]
    _, call_pos = call.trail[len(trail) - 1]
    block = _find_block(function, block_id)
    if block is None:
        return []
    statements = list(iter_statements(block))
    between = statements[write_pos + 1 : call_pos]
    holder = statements[call_pos] if call_pos < len(statements) else None
    if holder is not None and not isinstance(holder, (cst.Assign, cst.Expr, cst.Return, cst.AnnAssign, cst.AugAssign)):
        between.append(holder)
    return between


def _statements_after(function: cst.FunctionDef, trail) -> List[cst.CSTNode]:
    """Statements of the write's block after the write (their nested blocks included)."""
    block_id, write_pos = trail[-1]
    block = _find_block(function, block_id)
    return list(iter_statements(block))[write_pos + 1 :] if block is not None else []


def _code(node: cst.CSTNode) -> str:
    return code(node)


def _within(owner_code: str, block_code: str) -> bool:
    """``block_code`` spells the object ``owner_code`` starts from (``layer`` in ``layer.attn``)."""
    return (
        owner_code == block_code or owner_code.startswith(block_code + ".") or owner_code.startswith(block_code + "[")
    )


def _callee_code(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in CALL_FORMS:
        return code(func.value)
    return code(func)


def _shape(expression: str) -> str:
    """A chain with subscripts' contents dropped: ``self.layers[i].attn`` -> ``self.layers[].attn``."""
    out, depth = [], 0
    for ch in expression:
        if ch == "[":
            if depth == 0:
                out.append("[")
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                out.append("]")
        elif depth == 0:
            out.append(ch)
    return "".join(out)


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


def attribute_excludes_none(cls: ClassSummary, attr: str) -> bool:
    """Whether ``__init__`` (or a class annotation) gives ``self.attr`` a plain type that ``None``
    is not part of: a non-None literal, or a ``bool``/``int``/``float``/``str`` annotation on the
    attribute or on the parameter it is copied from. A parameter's default alone does not: a
    caller may pass ``None`` there."""
    if attribute_python_type(cls, attr) is None:
        return False
    annotation = cls.annotations.get(attr)
    if isinstance(annotation, cst.Name) and annotation.value in ("bool", "int", "float", "str"):
        return True
    init = cls.methods.get("__init__")
    if init is None:
        return False
    self_name = first_param_name(init)
    stack: List[cst.CSTNode] = [init.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign) and any(self_attribute(t.target, self_name) == attr for t in node.targets):
            if _literal_type(node.value) is not None:
                return True
            if isinstance(node.value, cst.Name):
                for param in all_params(init):
                    if param.name.value == node.value.value:
                        return param.annotation is not None
            return False
        if isinstance(node, cst.AnnAssign) and self_attribute(node.target, self_name) == attr:
            return True  # a plain annotation (attribute_python_type found a type)
        stack.extend(child_nodes(node))
    return False


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
    statements: List[cst.CSTNode] = []
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            statements.extend(stmt.body)
        else:
            statements.append(stmt)
    return len(statements) == 1 and statements[0] is statement


def _enclosing_module_loop(write: AttributeWrite):
    """The ``for m in self.modules():`` loop around a broadcast write, and its trail."""
    from ..analysis_data import MODULE_ITERATORS

    for depth in range(len(write.trail), 0, -1):
        block_id, position = write.trail[depth - 1]
        block = _find_block(write.function, block_id)
        if block is None:
            continue
        statements = list(iter_statements(block))
        stmt = statements[position] if position < len(statements) else None
        if isinstance(stmt, cst.For):
            it = stmt.iter
            if (
                isinstance(it, cst.Call)
                and isinstance(it.func, cst.Attribute)
                and it.func.attr.value in MODULE_ITERATORS
            ):
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


def _alias_uses(function: cst.FunctionDef, name: str) -> List[Tuple[int, Optional[int]]]:
    """Where ``name`` is used in ``function``: (statement, target) for a use inside an assignment
    target (the target's node), (statement, None) for any other use."""
    uses: List[Tuple[int, Optional[int]]] = []

    def visit(node: cst.CSTNode, stmt_id: int, target_id: Optional[int]) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Name) and current.value == name:
                uses.append((stmt_id, target_id))
            elif isinstance(current, cst.Attribute):
                stack.append(current.value)
                continue
            stack.extend(child_nodes(current))

    def walk(block) -> None:
        for stmt in iter_statements(block):
            if isinstance(stmt, cst.Assign):
                for target in stmt.targets:
                    if isinstance(target.target, cst.Name) and target.target.value == name:
                        continue
                    visit(target.target, id(stmt), id(target.target))
                visit(stmt.value, id(stmt), None)
                continue
            if (
                isinstance(stmt, (cst.If, cst.For, cst.While, cst.With, cst.Try, cst.Match))
                or type(stmt).__name__ == "TryStar"
            ):
                for child in child_nodes(stmt):
                    if isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                        continue
                    if isinstance(child, (cst.Else, cst.ExceptHandler, cst.Finally, cst.If, cst.MatchCase)):
                        walk_nested(child)
                        continue
                    visit(child, id(stmt), None)
                for child in child_nodes(stmt):
                    if isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                        walk(child)
                continue
            if isinstance(stmt, cst.AnnAssign):
                visit(stmt.target, id(stmt), id(stmt.target))
                if stmt.value is not None:
                    visit(stmt.value, id(stmt), None)
                continue
            call = stmt.value if isinstance(stmt, cst.Expr) else None
            if isinstance(call, cst.Call) and code(call.func) in ("setattr", "object.__setattr__") and call.args:
                visit(call.args[0].value, id(stmt), id(call.args[0].value))
                for arg in call.args[1:]:
                    visit(arg.value, id(stmt), None)
                continue
            visit(stmt, id(stmt), None)

    def walk_nested(node) -> None:
        if isinstance(node, cst.If):
            visit(node.test, id(node), None)
            walk(node.body)
            if node.orelse is not None:
                walk_nested(node.orelse)
            return
        for child in child_nodes(node):
            if isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                walk(child)
            elif isinstance(child, (cst.Else, cst.ExceptHandler, cst.Finally)):
                walk_nested(child)
            else:
                visit(child, id(node), None)

    walk(function.body)
    return uses


def _direct_bound(node: cst.CSTNode) -> Set[str]:
    """Names ``node`` itself binds (a loop's target, not the names bound in its body)."""
    if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del)):
        return bound_names(cst.SimpleStatementLine(body=[node]))
    if isinstance(node, (cst.For, cst.CompFor)):
        return bound_names(
            cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(node.target)], value=cst.Name("_"))])
        )
    if isinstance(node, cst.NamedExpr):
        return {node.target.value} if isinstance(node.target, cst.Name) else set()
    if isinstance(node, cst.AsName):
        return {node.name.value} if isinstance(node.name, cst.Name) else set()
    return set()


def _alias_of(function: cst.FunctionDef, name_node) -> Optional[cst.Assign]:
    """``n = <chain>``, the only binding of ``n`` in ``function``, when ``name_node`` is ``n``."""
    if not isinstance(name_node, cst.Name):
        return None
    found: List[cst.CSTNode] = []
    stack: List[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if name_node.value in _direct_bound(node):
            found.append(node)
        stack.extend(child_nodes(node))
    if len(found) != 1 or not isinstance(found[0], cst.Assign):
        return None
    assign = found[0]
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    if not isinstance(assign.value, (cst.Name, cst.Attribute, cst.Subscript)):
        return None
    return assign


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


def _indirect_access(func: cst.FunctionDef, self_name: Optional[str], attr: str) -> Optional[str]:
    """``getattr(self, "attr", ...)``, ``self.__dict__``, ``vars(self)``: reads a fix cannot rewrite."""
    from ..cst_util import string_literal

    stack: List[cst.CSTNode] = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.args:
            first = node.args[0].value
            if isinstance(first, cst.Name) and first.value == self_name:
                name = node.func.value
                if name in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) >= 2:
                    spelled = string_literal(node.args[1].value)
                    if spelled is None or spelled == attr:
                        return code(node)
                if name == "vars":
                    return code(node)
        if (
            isinstance(node, cst.Attribute)
            and node.attr.value == "__dict__"
            and isinstance(node.value, cst.Name)
            and node.value.value == self_name
        ):
            return code(node)
        stack.extend(child_nodes(node))
    return None


def _chooses_override(value: cst.BaseExpression, self_name, param: str, attr: str, default: str) -> bool:
    """``self.attr if param is <default> else param`` or ``param if param is not <default> else
    self.attr``: the value of the parameter when given, else the attribute."""
    if not isinstance(value, cst.IfExp):
        return False
    test = value.test
    if not (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.left, cst.Name)
        and test.left.value == param
        and code(test.comparisons[0].comparator) == default
    ):
        return False
    operator = test.comparisons[0].operator
    if isinstance(operator, cst.Is):
        given, absent = value.orelse, value.body
    elif isinstance(operator, cst.IsNot):
        given, absent = value.body, value.orelse
    else:
        return False
    return isinstance(given, cst.Name) and given.value == param and self_attribute(absent, self_name) == attr


def _binding_matches(func: cst.FunctionDef, param: str, attr: str, default: str) -> bool:
    """``func`` starts (after a docstring) with ``if param is <default>: param = self.attr``, or
    binds a local to ``self.attr if param is <default> else param``."""
    self_name = first_param_name(func)
    for stmt in iter_statements(func.body):
        if isinstance(stmt, cst.Expr) and isinstance(stmt.value, (cst.SimpleString, cst.ConcatenatedString)):
            continue
        if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0].target, cst.Name):
            return _chooses_override(stmt.value, self_name, param, attr, default)
        if not isinstance(stmt, cst.If) or stmt.orelse is not None:
            return False
        test = stmt.test
        if not (
            isinstance(test, cst.Comparison)
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Is)
            and isinstance(test.left, cst.Name)
            and test.left.value == param
            and code(test.comparisons[0].comparator) == default
        ):
            return False
        body = list(iter_statements(stmt.body))
        return (
            len(body) == 1
            and isinstance(body[0], cst.Assign)
            and len(body[0].targets) == 1
            and isinstance(body[0].targets[0].target, cst.Name)
            and body[0].targets[0].target.value == param
            and self_attribute(body[0].value, self_name) == attr
        )
    return False


def _only_passed_on(func: cst.FunctionDef, param: str) -> bool:
    """Every use of ``param`` in ``func`` is ``param=param`` at a call."""
    passes: Set[int] = set()
    stack: List[cst.CSTNode] = [func.body]
    uses: List[cst.Name] = []
    while stack:
        node = stack.pop()
        if (
            isinstance(node, cst.Arg)
            and node.keyword is not None
            and node.keyword.value == param
            and isinstance(node.value, cst.Name)
            and node.value.value == param
        ):
            passes.add(id(node.value))
        if isinstance(node, cst.Name) and node.value == param:
            uses.append(node)
        if isinstance(node, cst.Attribute):
            stack.append(node.value)
            continue
        if isinstance(node, cst.Arg):
            stack.append(node.value)
            continue
        stack.extend(child_nodes(node))
    return all(id(use) in passes for use in uses)


def _param_node(func: cst.FunctionDef, name: str) -> Optional[cst.Param]:
    for param in all_params(func):
        if param.name.value == name:
            return param
    return None


def _is_subclass(index: ProjectIndex, cls: ClassSummary, target: ClassSummary, depth: int = 0) -> bool:
    if cls is target:
        return True
    if depth > 20:
        return False
    return any(_is_subclass(index, base, target, depth + 1) for base in index.project_bases(cls))


def _loop_runs_each(write_function, call: SubmoduleCall, container_code: str) -> bool:
    """The call's block is the target of a ``for`` over the whole container, with no early exit."""
    if not isinstance(call.call.func, cst.Name):
        return False
    name = call.call.func.value
    for depth in range(len(call.trail), 0, -1):
        block_id, position = call.trail[depth - 1]
        block = _find_block(write_function, block_id)
        statements = list(iter_statements(block)) if block is not None else []
        stmt = statements[position] if position < len(statements) else None
        if not isinstance(stmt, cst.For):
            continue
        if not (isinstance(stmt.target, cst.Name) and stmt.target.value == name) and not (
            isinstance(stmt.target, cst.Tuple)
            and len(stmt.target.elements) == 2
            and isinstance(stmt.target.elements[1].value, cst.Name)
            and stmt.target.elements[1].value.value == name
        ):
            continue
        it = stmt.iter
        spelled = code(it)
        whole = spelled == container_code or spelled in (f"enumerate({container_code})", f"reversed({container_code})")
        if not whole or (isinstance(stmt.target, cst.Tuple) and not spelled.startswith("enumerate(")):
            return False
        stack = [stmt.body]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.Break, cst.Continue, cst.Return, cst.Raise)):
                return False
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            stack.extend(child_nodes(node))
        return True
    return False


class Planner:
    def __init__(self, index: ProjectIndex, template: str, config=None):
        self.index = index
        self.template = template
        self.config = config

    def param_name(self, attr: str) -> str:
        return self.template.replace("{attr}", attr)

    # -- entry points ------------------------------------------------------------------------
    def plan(self, parent: ClassSummary, write: AttributeWrite) -> FixVerdict:
        """A direct write (ZL001) or a ``setattr``-style write (ZL002)."""
        return self._guard(lambda: self._finish(parent, write, *self._plan_write(parent, write)))

    def plan_toggle(self, parent: ClassSummary, toggle) -> FixVerdict:
        """A set-then-restore toggle (ZL004): thread the set value, drop both halves."""
        return self._guard(lambda: self._finish(parent, toggle.first, *self._plan_toggle(parent, toggle)))

    def plan_broadcast(self, parent: ClassSummary, write: AttributeWrite) -> FixVerdict:
        """A write inside a loop over ``modules()`` (ZL003), narrowed to one class."""
        return self._guard(lambda: self._finish(parent, write, *self._plan_broadcast(parent, write)))

    @staticmethod
    def _guard(make) -> FixVerdict:
        try:
            return make()
        except Unfixable as exc:
            return FixVerdict(None, False, str(exc))

    def _finish(
        self, parent: ClassSummary, write: AttributeWrite, plan: FixPlan, safe: bool, why: str, title: str
    ) -> FixVerdict:
        """Checks that need the whole plan: the parent reads no value the fix stops setting, no
        protected file is edited, and the rendered code parses."""
        plan.finalize()
        analysis: ClassAnalysis = self.index.analysis(parent)
        for read in analysis.reads:
            if (
                read.node.attr.value == write.attr
                and id(read.statement) not in plan.remove
                and read.function is write.function
                and _runs_later(write.function, write.trail, read.trail)
            ):
                raise Unfixable(
                    f"no fix: `{parent.name}.{read.method}` reads `{code(read.node)}` after the write; "
                    f"it would see the old value"
                )
        for summary in plan.files.values():
            reason = protected_reason(summary.path, summary.load_text(), self.config)
            if reason is not None:
                from ..results import display_path

                raise Unfixable(f"no fix: it would edit {display_path(summary.path)}, which {reason}")
        self._trial_render(plan)
        return FixVerdict(plan, safe, why, title)

    def _trial_render(self, plan: FixPlan) -> None:
        """Every file the plan edits must still parse, or the fix is refused on its own (and the
        other fixes of the run still apply)."""
        from .apply import render_plan as render

        for summary in plan.files.values():
            if not summary.whole_modules:
                continue  # `check` parses a class at a time; `fix` plans on whole files and tries them here
            module = summary.module
            if module is None:
                continue
            try:
                from .. import parsing
                from ..newer_syntax import compiles

                new = render(plan, module, summary).code
                compiles(new.encode("utf-8"), str(summary.path), parsing.target_version())
            except Exception as exc:  # any failure means the fix is not offered
                raise Unfixable(
                    f"no fix: the rewritten {summary.path.name} would not parse ({type(exc).__name__})"
                ) from None

    def _check_write(self, write: AttributeWrite) -> None:
        if write.kind in ("augassign", "delete"):
            verb = (
                "an augmented assignment reads the previous value"
                if write.kind == "augassign"
                else "`del` removes state"
            )
            raise Unfixable(f"no fix: {verb}; it cannot become an argument")
        if write.attr is None:
            raise Unfixable("no fix: the attribute name is not a string literal")
        if write.value is None or (write.form in ("setattr", "object.__setattr__") and write.statement is write.target):
            raise Unfixable("no fix: the write is part of a larger expression")
        if write.form in ("__dict__", "vars"):
            raise Unfixable("no fix: a write through `__dict__` or `vars()` bypasses the module's own attribute logic")
        stmt = write.statement
        if isinstance(stmt, cst.Assign) and not any(t.target is write.target for t in stmt.targets):
            raise Unfixable("no fix: the write is one element of a tuple assignment")

    def _owner_code(self, write: AttributeWrite) -> Tuple[str, Optional[cst.Assign]]:
        """The owner of the attribute spelled from the block on (an alias replaced by its value)."""
        owner = write.owner_expr
        alias = _alias_of(write.function, owner)
        if alias is not None:
            return code(alias.value), alias
        root = owner
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        if isinstance(root, cst.Name) and isinstance(owner, (cst.Attribute, cst.Subscript)):
            inner = _alias_of(write.function, root)
            if inner is not None:
                return code(inner.value) + code(owner)[len(root.value) :], inner
        return code(owner), None

    def _place_value(self, plan: FixPlan, write: AttributeWrite, param: str) -> cst.BaseExpression:
        """Evaluate the value once, where the write was; return what the calls pass."""
        stmt = write.statement
        value = write.value
        assert value is not None  # _check_write refused writes with no value
        local = None
        if needs_local(value, write.function, write.trail):
            local = fresh_name(write.function, param)
        if isinstance(stmt, cst.Assign):
            plan.retarget.setdefault(id(stmt), {})[id(write.target)] = local
            plan.all_targets[id(stmt)] = tuple(id(t.target) for t in stmt.targets)
        elif local is not None:
            plan.bind_value[id(stmt)] = (local, value)
            plan.dropped |= {id(write.owner_expr), id(write.target)}
        else:
            plan.remove.add(id(stmt))
        return cst.Name(local) if local is not None else value

    def _plan_write(self, parent: ClassSummary, write: AttributeWrite):
        self._check_write(write)
        assert write.attr is not None and write.value is not None  # _check_write refused the others
        if write.owner.broadcast:
            raise Unfixable("no fix: the write reaches modules through modules()/children(), not a named path")
        analysis: ClassAnalysis = self.index.analysis(parent)
        owner_code, alias = self._owner_code(write)
        call = self._block_call(analysis, write.function, write.trail, write.owner.links, owner_code)
        plan = FixPlan()
        plan.touch(parent.module)
        plan.parents.add(id(parent.module))
        param = self.param_name(write.attr)
        value = self._place_value(plan, write, param)
        if alias is not None:
            uses = _alias_uses(write.function, code(alias.targets[0].target))
            plan.aliases[id(alias)] = uses
            if alias not in _statements_before(write.function, write.trail):
                raise Unfixable(
                    f"no fix: the alias `{code(alias.targets[0].target)}` is not bound before the write "
                    f"in the same block"
                )
            between = _statements_from(write.function, alias, write.trail)
            rebound = names_in(alias.value) & set().union(set(), *[bound_names(s) for s in between])
            if rebound:
                raise Unfixable(f"no fix: {', '.join(sorted(rebound))} rebound between the alias and the write")
        title, safe, why = self._thread(plan, analysis, write, call, write.owner.links, write.trail, value, owner_code)
        return plan, safe, why, title

    def _plan_toggle(self, parent: ClassSummary, toggle):
        plan, safe, why, title = self._plan_write(parent, toggle.first)
        restore = toggle.restore
        saved = _single_use_assignment(restore.function, restore.value) if restore.value is not None else None
        if saved is not None:
            plan.remove.add(id(saved))
        try_stmt = toggle.try_statement
        if try_stmt is not None and _only_statement(try_stmt.finalbody.body.body, restore.statement):
            plan.drop_finally.add(id(try_stmt))
        else:
            if isinstance(restore.statement, cst.Assign) and len(restore.statement.targets) > 1:
                raise Unfixable("no fix: the restore is part of a chained assignment")
            plan.remove.add(id(restore.statement))
        return plan, safe, why, title

    def _plan_broadcast(self, parent: ClassSummary, write: AttributeWrite):
        self._check_write(write)
        assert write.attr is not None and write.value is not None  # _check_write refused the others
        loop, loop_trail = _enclosing_module_loop(write)
        if loop is None:
            raise Unfixable("no fix: apply(fn) cannot be rewritten; move the setting into an argument by hand")
        if not _loop_only_sets(loop, write):
            raise Unfixable("no fix: the loop does more than set the attribute")
        if not isinstance(write.statement, cst.Assign) or len(write.statement.targets) != 1:
            raise Unfixable("no fix: the write in the loop also assigns something else")
        owner_type = write.owner.type
        if not isinstance(owner_type, ModuleType) or owner_type.cls is None:
            raise Unfixable(
                "no fix: the loop sets the attribute on every module; "
                "narrow it with isinstance() to the class that reads it"
            )
        value = write.value
        if not is_literal(value) and not (
            isinstance(value, cst.Name) and value.value not in rebound_after(write.function, loop_trail)
        ):
            raise Unfixable("no fix: the loop evaluates the value once per module; bind it to a name first")
        hidden = self._hidden_subtree(parent)
        if hidden is not None:
            raise Unfixable(
                f"no fix: modules() also reaches {hidden}, which zlint cannot see into; "
                f"an instance of {owner_type.cls.name} there would lose the value"
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
            container = next((i for i, link in enumerate(links) if link.expression == "[*]"), None)
            if container is not None:
                container_code = "".join(link.expression for link in links[:container])
                if not _loop_runs_each(write.function, call, container_code):
                    raise Unfixable(
                        f"no fix: `{code(call.call.func)}(...)` is not shown to run every element of "
                        f"`{container_code}`, and modules() sets them all"
                    )
            title, safe, why = self._thread(plan, analysis, write, call, links, loop_trail, value, None)
            titles.append(title)
            if not safe:
                unsafe.append(why)
        return plan, not unsafe, unsafe[0] if unsafe else "", titles[0]

    def _opaque_bases(self, cls: ClassSummary, depth: int = 0) -> bool:
        """A base class, other than ``nn.Module`` or a torch leaf layer, whose submodules zlint cannot see."""
        from ..index import TORCH_COMPOSITES, External, ProjectClass, is_torch_module_name

        if depth > 20:
            return True
        for dotted in cls.base_names:
            if dotted is None:
                return True
            symbol = self.index.resolve(cls.module, dotted)
            if isinstance(symbol, ProjectClass):
                if symbol.cls is not cls and self._opaque_bases(symbol.cls, depth + 1):
                    return True
            elif isinstance(symbol, External) and is_torch_module_name(symbol.qualname):
                last = symbol.qualname.rsplit(".", 1)[-1]
                if last != "Module" and last in TORCH_COMPOSITES:
                    return True
            elif not (isinstance(symbol, External) and symbol.qualname in ("object", "builtins.object")):
                return True
        return False

    def _hidden_subtree(self, cls: ClassSummary, depth: int = 0, seen=None) -> Optional[str]:
        """A submodule in ``cls``'s tree whose class zlint cannot see (built by a factory, from
        outside the checked tree, a container of unknown elements), spelled as its attribute."""
        seen = seen if seen is not None else set()
        if cls in seen or depth > 12:
            return None
        seen.add(cls)
        if self._opaque_bases(cls):
            return f"the bases of {cls.name}"
        for name, sub in sorted(self.index.submodules(cls).items()):
            typ: Optional[SubType] = sub.type
            if isinstance(typ, ContainerType):
                typ = typ.elem
                if typ is None:
                    return f"`{cls.name}.{name}` (elements of unknown class)"
            if not isinstance(typ, ModuleType):
                return f"`{cls.name}.{name}`"
            if typ.cls is None:
                if typ.external is not None and typ.certain:
                    from ..index import TORCH_COMPOSITES

                    leaves = {part.rsplit(".", 1)[-1] for part in typ.external.split("|")}
                    if not leaves & TORCH_COMPOSITES:
                        continue
                return f"`{cls.name}.{name}` ({typ.label})"
            found = self._hidden_subtree(typ.cls, depth + 1, seen)
            if found is not None:
                return found
        return None

    # -- the shared threading machinery ---------------------------------------------------------
    def _thread(
        self,
        plan: FixPlan,
        analysis: ClassAnalysis,
        write: AttributeWrite,
        call: SubmoduleCall,
        links,
        anchor_trail,
        value: cst.BaseExpression,
        owner_code: Optional[str],
    ) -> Tuple[str, bool, str]:
        """Pass ``value`` at every call of the block after the write and thread it down ``links``
        to the owner of the attribute."""
        assert write.attr is not None and write.value is not None  # _check_write refused the others
        for link in links:
            if not link.resolved:
                raise Unfixable(f"no fix: `{link.expression}` is not resolved ({link.reason or 'unknown class'})")
        block_type = call.callee.type
        if isinstance(call.call.func, cst.Attribute) and call.call.func.attr.value in CALL_FORMS:
            block_type = self._type_along(analysis.cls, call.callee.links[:-1])
        if not isinstance(block_type, ModuleType) or block_type.cls is None:
            raise Unfixable("no fix: the called block's class is not in the checked tree")
        block_code = _callee_code(call.call)
        _, handed_on = invocations(_statements_after(write.function, anchor_trail), block_code)
        if handed_on is not None:
            raise Unfixable(
                f"no fix: `{block_code}` is also handed on as a value (`{handed_on}`), "
                f"where an argument added at its call would not follow it"
            )
        param = self.param_name(write.attr)
        targets = self._calls_after_write(analysis, write, call, block_code, anchor_trail)
        if owner_code is not None:
            self._no_other_runs(analysis, write, block_code, links, anchor_trail)
        block_names = names_in(cst.parse_expression(block_code))
        for target in targets:
            between = _statements_between(write.function, anchor_trail, target)
            rebound = (block_names & set().union(set(), *[bound_names(s) for s in between])) - {"self"}
            if rebound and owner_code is not None:  # a broadcast's loops were checked to run every block
                names = ", ".join(f"`{n}`" for n in sorted(rebound))
                raise Unfixable(
                    f"no fix: {names} is bound again between the write and the call `{code(target.call.func)}(...)`, "
                    f"which may then run another block"
                )
            if _passes_keyword(target.call, param):
                raise Unfixable(f"no fix: `{code(target.call.func)}(...)` already passes `{param}`")
            self._other_owner(analysis, write, target, owner_code, anchor_trail)
            plan.add_kwargs.setdefault(id(target.call), []).append((param, value))

        # Resolve the classes down the chain first: E's class, then each `.a_k` submodule.
        steps: List[Tuple[ClassSummary, str]] = []
        current = block_type.cls
        for link in links[len(_call_links(call)) :]:
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
        for cls, _ in steps:
            self._no_reads_through(cls, write.attr)
        self._no_reads_through(block_type.cls, write.attr) if not steps else None
        attr_type = attribute_python_type(owner, write.attr)
        none_possible = maybe_none(write.value, write.function)
        if none_possible is None:
            none_possible = not attribute_excludes_none(owner, write.attr)
        default = SENTINEL if none_possible else "None"
        if default == SENTINEL:
            self._use_sentinel(plan, owner, [block_type.cls] + [cls for cls, _ in steps])
        known = value_type(write.value, write.function)
        annotation_type = known if known is not None and attr_type in (None, known) and default == "None" else None
        self._ensure_param(
            plan,
            block_type.cls,
            "forward",
            param,
            annotation_type,
            default,
            passes_on=block_type.cls is not owner or "forward" not in reads,
        )
        for cls, attr_name in steps:
            self._thread_to_submodule(plan, cls, attr_name, param, annotation_type, default)
        for method_name, read_nodes in reads.items():
            func = owner.methods[method_name]
            existing = _param_node(func, param)
            if existing is not None:
                if not (
                    existing.default is not None
                    and code(existing.default) == default
                    and _binding_matches(func, param, write.attr, default)
                    and len(read_nodes) == 1
                ):
                    raise Unfixable(
                        f"no fix: `{owner.name}.{method_name}` already has a parameter `{param}` "
                        f'that does not mean "use this instead of `{write.attr}` when given"'
                    )
                continue  # the method already takes the override and decides itself
            self._ensure_param(plan, owner, method_name, param, annotation_type, default, passes_on=False)
            plan.bind_once.setdefault(id(func), []).append((param, write.attr, default))
            for node in read_nodes:
                plan.replace_reads[id(node)] = param
        self._not_shared(analysis.cls, [link.expression for link in links], write)
        safe, why = self._safety(analysis, write, call, owner, reads, anchor_trail, links)
        title = f"Pass `{param}` to `{_call_links(call)[-1].class_name}` instead of setting `{write.attr}`"
        return title, safe, why

    @staticmethod
    def _locals(plan: FixPlan) -> Set[str]:
        found = {local for targets in plan.retarget.values() for local in targets.values() if local}
        found |= {local for local, _ in plan.bind_value.values()}
        return found

    def _type_along(self, cls: ClassSummary, links):
        """The type at the end of a chain of links from ``cls`` (``self.layers`` -> ``[*]``)."""
        typ = None
        for position, link in enumerate(links):
            expression = link.expression
            if position == 0:
                if not expression.startswith("self."):
                    return None
                sub = self.index.submodules(cls).get(expression[5:])
                typ = sub.type if sub is not None else None
            elif expression in ("[*]",):
                typ = typ.elem if isinstance(typ, ContainerType) else None
            elif expression == "[:]":
                continue
            elif expression.startswith(".") and typ is not None:
                typ = self.index.attribute_type(typ, expression[1:])[0]
            else:
                return None
            if typ is None:
                return None
        return typ

    def _no_other_runs(
        self, analysis: ClassAnalysis, write: AttributeWrite, block_code: str, links, anchor_trail
    ) -> None:
        """A call after the write that may run the written block (or a part of it on the path)
        some other way than the block's own call would run it without the value."""
        owner_links = _plain_links(links)
        for other in analysis.calls:
            if other.function is not write.function or not runs_after(anchor_trail, other.trail):
                continue
            if is_invocation_of(other.call, block_code):
                continue
            other_links = _plain_links(_call_links(other))
            if not other_links or not is_prefix(other_links, owner_links):
                continue
            if _distinct_elements(_callee_code(other.call), block_code):
                continue
            raise Unfixable(
                f"no fix: `{code(other.call.func)}(...)` after the write may run the written block without the value"
            )

    def _other_owner(
        self,
        analysis: ClassAnalysis,
        write: AttributeWrite,
        target: SubmoduleCall,
        owner_code: Optional[str],
        anchor_trail,
    ) -> None:
        """Two owners of the same attribute set before one call: one argument cannot carry both."""
        assert write.attr is not None  # _check_write refused writes to unnamed attributes
        if owner_code is None:
            return
        for other in analysis.writes:
            if other is write or other.attr != write.attr or other.function is not write.function:
                continue
            if not runs_after(other.trail, target.trail):
                continue
            other_code, _ = self._owner_code(other)
            if _shape(other_code) != _shape(owner_code):
                raise Unfixable(
                    f"no fix: `{other_code}.{write.attr}` is also set before `{code(target.call.func)}(...)`; "
                    f"one `{self.param_name(write.attr)}` argument cannot carry both values"
                )

    def _use_sentinel(self, plan: FixPlan, owner: ClassSummary, classes: List[ClassSummary]) -> None:
        text = owner.module.load_text() or ""
        if SENTINEL in text and f"{SENTINEL} = object()" not in text:
            raise Unfixable(f"no fix: {owner.module.path.name} already uses the name `{SENTINEL}` for something else")
        for cls in classes + [owner]:
            plan.sentinel_home[id(cls.module)] = owner.module

    def _no_reads_through(self, cls: ClassSummary, attr: str) -> None:
        """A class on the path that reads ``<submodule>.attr`` would see the old value."""
        for read in self.index.analysis(cls).reads:
            if read.node.attr.value == attr:
                raise Unfixable(
                    f"no fix: `{cls.name}.{read.method}` reads `{code(read.node)}`, which the fix "
                    f"would leave at its old value"
                )

    def _not_shared(self, parent: ClassSummary, expressions: List[str], write: AttributeWrite) -> None:
        """The instances on the path are built where they are bound, and not handed to another
        part of the model in ``__init__``, where a second path would not receive the value."""
        current = parent
        prefixes = []
        spelled = ""
        for expression in expressions:
            spelled += expression
            prefixes.append(_shape(spelled.replace("[*]", "[]")))
        init = parent.methods.get("__init__")
        if init is not None:
            stack: List[Tuple[cst.CSTNode, bool]] = [(init.body, False)]
            while stack:
                node, as_value = stack.pop()
                if isinstance(node, (cst.Attribute, cst.Subscript)) and as_value and _shape(code(node)) in prefixes:
                    raise Unfixable(
                        f"no fix: `{code(node)}` is also handed on in `{parent.name}.__init__`; "
                        f"another path may run the same instance without the value"
                    )
                if isinstance(node, cst.Assign):
                    stack.append((node.value, True))
                    for target in node.targets:
                        stack.append((target.target, False))
                    continue
                if isinstance(node, cst.Call):
                    stack.append((node.func, False))
                    stack.extend((arg.value, True) for arg in node.args)
                    continue
                if isinstance(node, (cst.Element, cst.DictElement)):
                    stack.extend((child, True) for child in child_nodes(node))
                    continue
                if isinstance(node, (cst.Attribute, cst.Subscript)):
                    stack.append((node.value, False))
                    continue
                stack.extend((child, as_value) for child in child_nodes(node))
        # Each step down the path must build its child, not take one it was given.
        for expression in expressions:
            if (
                expression == "[*]"
                or expression.startswith("[")
                or not (expression.startswith("self.") or expression.startswith("."))
            ):
                sub = None
            else:
                sub = self.index.submodules(current).get(expression.split(".")[-1])
            if expression.startswith("self.") or expression.startswith("."):
                if sub is None:
                    return
                node = sub.node
                built = getattr(node, "value", None)
                if isinstance(built, (cst.Name, cst.Attribute, cst.Subscript)):
                    raise Unfixable(
                        f"no fix: `{current.name}.{sub.name}` is bound from `{code(built)}`, an instance "
                        f"made elsewhere that another path may share"
                    )
                typ: Optional[SubType] = sub.type
                if isinstance(typ, ContainerType):
                    typ = typ.elem
                if not isinstance(typ, ModuleType) or typ.cls is None:
                    return
                current = typ.cls

    def _chains_to(self, parent: ClassSummary, target: ClassSummary, limit: int = 8):
        """Every resolved submodule path from ``parent`` to instances of ``target`` (or of a
        subclass of it, which ``isinstance`` matches too), as chain links."""
        from ..analysis_data import link_for

        found = []

        def walk(cls: ClassSummary, links, depth: int, seen) -> None:
            if depth > limit:
                return
            for name, sub in sorted(self.index.submodules(cls).items()):
                expr = f"self.{name}" if not links else f".{name}"
                step = links + (link_for(expr, sub.type),)
                typ = sub.type
                if isinstance(typ, ContainerType):
                    if typ.elem is None:
                        continue
                    step = step + (link_for("[*]", typ.elem),)
                    typ = typ.elem
                if not isinstance(typ, ModuleType) or typ.cls is None or typ.cls in seen:
                    continue
                if _is_subclass(self.index, typ.cls, target):
                    found.append(step)
                    continue
                walk(typ.cls, step, depth + 1, seen | {typ.cls})

        walk(parent, (), 0, {parent})
        return found

    # -- pieces ------------------------------------------------------------------------------
    def _block_call(
        self, analysis: ClassAnalysis, function, trail, owner_links, owner_code: Optional[str] = None
    ) -> SubmoduleCall:
        links_of = _call_links

        candidates = [
            call
            for call in analysis.calls
            if call.function is function
            and len(links_of(call)) > 0
            and is_prefix(links_of(call), owner_links)
            and runs_after(trail, call.trail)
        ]
        if not candidates:
            raise Unfixable("no fix: the block is not called after the write in the same block of code")
        if owner_code is not None:
            same = [c for c in candidates if _within(owner_code, _callee_code(c.call))]
            if not same:
                other = _callee_code(candidates[0].call)
                raise Unfixable(
                    f"no fix: the write targets `{owner_code}`, but the call after it, `{other}(...)`, "
                    f"is not shown to run that same block (and may run others)"
                )
            candidates = same
        # The nearest call after the write, and the deepest callee (the block itself).
        candidates.sort(key=lambda c: (c.trail[len(trail) - 1][1], -len(links_of(c))))
        return candidates[0]

    def _thread_to_submodule(
        self, plan: FixPlan, cls: ClassSummary, attr: str, param: str, annotation_type: Optional[str], default: str
    ) -> None:
        """In ``cls``, pass ``param`` at every forward-time call of ``self.<attr>``."""
        analysis: ClassAnalysis = self.index.analysis(cls)
        plan.touch(cls.module)
        found = 0
        for method_name in analysis.forward_methods:
            func = cls.methods[method_name]
            self_name = first_param_name(func) or "self"
            calls, handed = invocations(list(iter_statements(func.body)), f"{self_name}.{attr}")
            if handed is not None:
                raise Unfixable(
                    f"no fix: `{cls.name}.{method_name}` hands `{self_name}.{attr}` on as a value "
                    f"(`{handed}`), where an argument added at its call would not follow it"
                )
            for call in calls:
                found += 1
                self._ensure_param(plan, cls, method_name, param, annotation_type, default, passes_on=True)
                passed = [a for a in call.args if a.keyword is not None and a.keyword.value == param]
                if passed:
                    if not (isinstance(passed[0].value, cst.Name) and passed[0].value.value == param):
                        raise Unfixable(
                            f"no fix: `{cls.name}.{method_name}` already passes `{param}` with another value"
                        )
                    continue
                kwargs = plan.add_kwargs.setdefault(id(call), [])
                if param not in [k for k, _ in kwargs]:
                    kwargs.append((param, cst.Name(param)))
        if not found:
            raise Unfixable(f"no fix: `{cls.name}.forward` never calls `self.{attr}`")

    def _ensure_param(
        self,
        plan: FixPlan,
        cls: ClassSummary,
        method: str,
        param: str,
        annotation_type: Optional[str],
        default: str,
        passes_on: bool,
        _seen=None,
    ) -> None:
        """Give ``cls.method`` a keyword parameter ``param`` and pass it from forward down to it."""
        seen = _seen if _seen is not None else set()
        if method in seen:
            return
        seen.add(method)
        func = cls.methods.get(method)
        if func is None:
            raise Unfixable(f"no fix: {cls.name} does not define `{method}` itself")
        plan.touch(cls.module)
        existing = _param_node(func, param)
        if existing is not None:
            if passes_on and not (
                existing.default is not None and code(existing.default) == default and _only_passed_on(func, param)
            ):
                raise Unfixable(f"no fix: `{cls.name}.{method}` already has a parameter `{param}` with other semantics")
        else:
            annotation = None
            if _is_annotated(func) and annotation_type:
                annotation = f"Optional[{annotation_type}]"
                plan.needs_optional.add(id(cls.module))
            entries = plan.add_params.setdefault(id(func), [])
            if param not in [e[0] for e in entries]:
                entries.append((param, annotation, default))
        if method == "forward":
            return
        analysis: ClassAnalysis = self.index.analysis(cls)
        callers = self.self_calls(cls, method, analysis.forward_methods)
        if not callers:
            raise Unfixable(f"no fix: cannot find how forward reaches `{cls.name}.{method}`")
        for caller_name, call in callers:
            self._ensure_param(plan, cls, caller_name, param, annotation_type, default, True, seen)
            kwargs = plan.add_kwargs.setdefault(id(call), [])
            if param not in [k for k, _ in kwargs] and not _passes_keyword(call, param):
                kwargs.append((param, cst.Name(param)))

    def self_calls(self, cls: ClassSummary, method: str, methods: List[str]) -> List[Tuple[str, cst.Call]]:
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
            indirect = _indirect_access(func, self_name, attr)
            if indirect is not None:
                raise Unfixable(
                    f"no fix: `{owner.name}.{name}` reaches `{attr}` through `{indirect}`, which the fix cannot rewrite"
                )
            if found:
                reads[name] = found
        return reads

    @staticmethod
    def _calls_after_write(
        analysis: ClassAnalysis, write: AttributeWrite, call: SubmoduleCall, block_code: str, anchor_trail
    ) -> List[SubmoduleCall]:
        """Every call of the same block that the write precedes (``if``/``else`` branches, a
        second call, ``block.forward(...)``), each of which must receive the value; refused when
        the attribute is set again after the write, since a later call would then need the later
        value."""
        calls = [
            c
            for c in analysis.calls
            if c.function is write.function
            and runs_after(anchor_trail, c.trail)
            and is_invocation_of(c.call, block_code)
        ]
        if len(calls) > 1 and any(
            w is not write
            and w.attr == write.attr
            and w.function is write.function
            and runs_after(anchor_trail, w.trail)
            for w in analysis.writes
        ):
            raise Unfixable("no fix: the block is called more than once after the write and the attribute is set again")
        return calls or [call]

    def _safety(self, analysis, write, call, owner, reads, anchor_trail, links) -> Tuple[bool, str]:
        # Read outside the forward paths that the fix threads?
        outside = []
        for name, func in owner.methods.items():
            if name in reads or name == "__init__":
                continue
            found, _ = _self_reads(func, first_param_name(func), write.attr)
            if found or _indirect_access(func, first_param_name(func), write.attr):
                outside.append(name)
        if outside:
            return False, (
                f"`{owner.name}.{outside[0]}` reads `{write.attr}` outside the threaded forward path; "
                f"the fix assumes it is not called where it should see the value the write set"
            )

        # Other calls of the same block that the write does not precede.
        def preceded(c: SubmoduleCall) -> bool:
            if c.function is write.function and runs_after(anchor_trail, c.trail):
                return True
            return any(
                w.attr == write.attr
                and w.owner.type == write.owner.type
                and w.function is c.function
                and is_prefix(_call_links(c), w.owner.links)
                and runs_after(w.trail, c.trail)
                for w in analysis.writes
            )

        owner_links = _plain_links(links)

        def may_run_block(c: SubmoduleCall) -> bool:
            other_links = _plain_links(_call_links(c))
            return bool(other_links) and is_prefix(other_links, owner_links)

        others = [c for c in analysis.calls if c is not call and may_run_block(c) and not preceded(c)]
        later = [
            c for c in others if c.function is write.function and _runs_later(write.function, anchor_trail, c.trail)
        ]
        if later:
            raise Unfixable(
                f"no fix: `{code(later[0].call.func)}(...)` runs later in the same forward and may run "
                f"the written block, which would no longer see the value"
            )
        if others:
            return False, (
                "the block is also called where the write does not precede the call; the fix assumes "
                "that call does not rely on the value a previous write left"
            )
        return True, ""


def _runs_later(function: cst.FunctionDef, write_trail, call_trail) -> bool:
    """Whether code at ``call_trail`` may run after the write at ``write_trail`` in one call of
    ``function``: later in a block that encloses both, or anywhere in a loop around the write."""
    depth = 0
    while depth < min(len(write_trail), len(call_trail)) and write_trail[depth] == call_trail[depth]:
        block = _find_block(function, write_trail[depth][0])
        statements = list(iter_statements(block)) if block is not None else []
        position = write_trail[depth][1]
        if position < len(statements) and isinstance(statements[position], (cst.For, cst.While)):
            return True  # both inside one loop: the next iteration runs the call after the write
        depth += 1
    if depth >= min(len(write_trail), len(call_trail)):
        return False
    (write_block, write_pos), (call_block, call_pos) = write_trail[depth], call_trail[depth]
    return write_block == call_block and call_pos > write_pos


def _call_links(call: SubmoduleCall):
    """The chain of the module a call runs (``block.forward(x)`` runs ``block``)."""
    links = call.callee.links
    if isinstance(call.call.func, cst.Attribute) and call.call.func.attr.value in CALL_FORMS:
        links = links[:-1]
    return links


def _plain_links(links):
    """Links with slices dropped: ``self.layers[1:]`` holds the same blocks as ``self.layers``."""
    return tuple(link for link in links if link.expression != "[:]")


def _distinct_elements(first: str, second: str) -> bool:
    """``c["a"]`` and ``c["b"]``, or ``c[0]`` and ``c[1]``: certainly different elements."""
    try:
        a, b = cst.parse_expression(first), cst.parse_expression(second)
    except cst.ParserSyntaxError:
        return False
    if not (isinstance(a, cst.Subscript) and isinstance(b, cst.Subscript)) or code(a.value) != code(b.value):
        return False
    if len(a.slice) != 1 or len(b.slice) != 1:
        return False
    ia, ib = a.slice[0].slice, b.slice[0].slice
    if not (isinstance(ia, cst.Index) and isinstance(ib, cst.Index)):
        return False
    ka, kb = _constant_key(ia.value), _constant_key(ib.value)
    if ka is None or kb is None or type(ka) is not type(kb):
        return False
    if isinstance(ka, int) and (ka < 0) != (kb < 0):
        return False  # -1 and 2 may be the same element
    return ka != kb


def _constant_key(node):
    from ..cst_util import string_literal

    text = string_literal(node)
    if text is not None:
        return text
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, cst.Integer)
    ):
        return -int(node.expression.value, 0)
    return None


def _statements_before(function: cst.FunctionDef, trail) -> List[cst.CSTNode]:
    block_id, position = trail[-1]
    block = _find_block(function, block_id)
    return list(iter_statements(block))[:position] if block is not None else []


def _statements_from(function: cst.FunctionDef, first: cst.CSTNode, trail) -> List[cst.CSTNode]:
    """Statements of the write's block after ``first`` and before the write."""
    before = _statements_before(function, trail)
    for index, stmt in enumerate(before):
        if stmt is first:
            return before[index + 1 :]
    return before
