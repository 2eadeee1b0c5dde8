"""Turning a fix plan into new file contents, and writing them all or none."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from .. import parsing
from ..cst_util import first_param_name
from ..newer_syntax import compiles
from .plan_data import SENTINEL, FixPlan


class FixError(Exception):
    """A planned fix that cannot be applied; nothing has been written."""


@dataclass
class FileEdit:
    path: Path
    old: bytes
    new: bytes


def _separator(items: List, opening) -> cst.Comma:
    """The comma and whitespace that stand between two items of the list: the list's own, else one
    item per line when the bracket opens a new line, else ``", "``."""
    if len(items) >= 2 and isinstance(items[-2].comma, cst.Comma):
        comma = items[-2].comma  # without the comment that ends that item's line
        return comma.with_changes(whitespace_after=_without_comment(comma.whitespace_after))
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return cst.Comma(
            whitespace_after=cst.ParenthesizedWhitespace(
                first_line=cst.TrailingWhitespace(),
                empty_lines=[],
                indent=opening.indent,
                last_line=opening.last_line,
            )
        )
    return _default_comma()


def _without_comment(whitespace):
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(first_line=cst.TrailingWhitespace())
    return whitespace


def _append_item(items: List, new_item, opening, after_field: str):
    """Append ``new_item`` (an ``Arg`` or ``Param``) in the list's own layout: what followed the
    last item (a trailing comma, the line break before the closing bracket) now follows the new
    one, the last item takes the separator used between items, and a comment at the end of the
    last item's line stays on that line. ``opening`` is the whitespace after the opening bracket;
    ``after_field`` names the item's whitespace-after field."""
    if not items:
        return [new_item]
    last = items[-1]
    separator = _separator(items, opening)
    end_comma, end_space = last.comma, getattr(last, after_field)
    carried = end_comma.whitespace_after if isinstance(end_comma, cst.Comma) else end_space
    if isinstance(carried, cst.ParenthesizedWhitespace) and carried.first_line.comment is not None:
        if isinstance(separator.whitespace_after, cst.ParenthesizedWhitespace):
            separator = separator.with_changes(
                whitespace_after=separator.whitespace_after.with_changes(first_line=carried.first_line)
            )
        if isinstance(end_comma, cst.Comma):
            end_comma = end_comma.with_changes(whitespace_after=_without_comment(end_comma.whitespace_after))
        else:
            end_space = _without_comment(end_space)
    last = last.with_changes(comma=separator, **{after_field: cst.SimpleWhitespace("")})
    new_item = new_item.with_changes(comma=end_comma, **{after_field: end_space})
    return list(items[:-1]) + [last, new_item]


def _new_param(name: str, annotation: Optional[str], default: str = "None") -> cst.Param:
    if annotation:
        return cst.Param(
            name=cst.Name(name),
            annotation=cst.Annotation(cst.parse_expression(annotation)),
            default=cst.Name(default),
            equal=cst.AssignEqual(),
        )
    return cst.Param(
        name=cst.Name(name),
        default=cst.Name(default),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def _default_comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


class _Threader(cst.CSTTransformer):
    def __init__(self, plan: FixPlan):
        super().__init__()
        self.plan = plan
        self.removed_lines: set = set()
        self._keep_alive: list = []  # markers stay referenced so their ids are never reused

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef):
        key = id(original_node)
        node = updated_node
        for name, annotation, default in self.plan.add_params.get(key, []):
            params = node.params
            param = _new_param(name, annotation, default)
            if isinstance(params.star_arg, (cst.Param, cst.ParamStar)) or params.kwonly_params:
                kwonly = _append_item(
                    list(params.kwonly_params), param, node.whitespace_before_params, "whitespace_after_param"
                )
                params = params.with_changes(kwonly_params=kwonly)
            else:
                positional = _append_item(
                    list(params.params), param, node.whitespace_before_params, "whitespace_after_param"
                )
                params = params.with_changes(params=positional)
            node = node.with_changes(params=params)
        bindings = self.plan.bind_once.get(key, [])
        if bindings:
            self_name = first_param_name(original_node) or "self"
            statements = [
                cst.parse_statement(f"if {param} is {default}:\n    {param} = {self_name}.{attr}\n")
                for param, attr, default in dict.fromkeys(bindings)
            ]
            body = node.body
            if isinstance(body, cst.SimpleStatementSuite):  # `def forward(self, x): return ...`
                line = cst.SimpleStatementLine(body=list(body.body), trailing_whitespace=body.trailing_whitespace)
                node = node.with_changes(body=cst.IndentedBlock(body=statements + [line]))
            elif isinstance(body, cst.IndentedBlock):
                existing = list(body.body)
                at = 1 if existing and _is_docstring(existing[0]) else 0
                node = node.with_changes(body=body.with_changes(body=existing[:at] + statements + existing[at:]))
        return node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign):
        targets = self.plan.retarget.get(id(original_node))
        if not targets:
            return updated_node
        kept = []
        for old, new in zip(original_node.targets, updated_node.targets):
            if id(old.target) not in targets:
                kept.append(new)
            elif (local := targets[id(old.target)]) is not None:
                kept.append(new.with_changes(target=cst.Name(local)))
        if not kept:  # the whole statement goes (see leave_SimpleStatementLine)
            return updated_node
        return updated_node.with_changes(targets=kept)

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr):
        return self._bound(original_node, updated_node)

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign):
        return self._bound(original_node, updated_node)

    def _bound(self, original_node, updated_node):
        """A write that is not an assignment (``setattr(...)``, ``x.a: T = v``) whose value is
        evaluated into a local where it was."""
        bound = self.plan.bind_value.get(id(original_node))
        if bound is None:
            return updated_node
        local, value = bound
        return cst.Assign(
            targets=[cst.AssignTarget(cst.Name(local))],
            value=value,
            semicolon=getattr(updated_node, "semicolon", cst.MaybeSentinel.DEFAULT),
        )

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try):
        if id(original_node) not in self.plan.drop_finally:
            return updated_node
        if updated_node.handlers:
            return updated_node.with_changes(finalbody=None)
        body = list(updated_node.body.body)
        if body:
            first = body[0]
            assert isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
            body[0] = first.with_changes(leading_lines=list(updated_node.leading_lines) + list(first.leading_lines))
        return cst.FlattenSentinel(body)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call):
        extra = self.plan.add_kwargs.get(id(original_node))
        if not extra:
            return updated_node
        args = list(updated_node.args)
        present = {a.keyword.value for a in args if a.keyword is not None}
        for name, value in extra:
            if name in present:
                continue
            arg = cst.Arg(
                keyword=cst.Name(name),
                value=value,
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
                ),
            )
            double_star = next((i for i, a in enumerate(args) if a.star == "**"), None)
            if double_star is None:
                args = _append_item(args, arg, updated_node.whitespace_before_args, "whitespace_after_arg")
            else:  # keywords read best before `**kwargs`, in the list's own layout
                args.insert(
                    double_star,
                    arg.with_changes(comma=_separator(args[: double_star + 1], updated_node.whitespace_before_args)),
                )
        return updated_node.with_changes(args=args)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute):
        param = self.plan.replace_reads.get(id(original_node))
        if param is not None:
            return cst.Name(param)
        return updated_node

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine):
        keep = [new for old, new in zip(original_node.body, updated_node.body) if id(old) not in self.plan.remove]
        if len(keep) == len(updated_node.body):
            return updated_node
        if keep:
            last = keep[-1]
            if hasattr(last, "semicolon"):
                keep[-1] = last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            return updated_node.with_changes(body=keep)
        marker = updated_node.with_changes(body=[cst.Pass()])
        self._keep_alive.append(marker)
        self.removed_lines.add(id(marker))
        return marker

    def leave_For(self, original_node: cst.For, updated_node: cst.For):
        if id(original_node) not in self.plan.remove:
            return updated_node
        marker = cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=updated_node.leading_lines)
        self._keep_alive.append(marker)
        self.removed_lines.add(id(marker))
        return marker

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock):
        body = self._drop_removed(list(updated_node.body))
        if body is None:
            return updated_node
        statements, carry = body
        if not statements:
            statements = [cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=carry)]
            carry = []
        return updated_node.with_changes(body=statements, footer=list(carry) + list(updated_node.footer))

    def _drop_removed(self, body):
        if not any(id(stmt) in self.removed_lines for stmt in body):
            return None
        statements, carry = [], []
        for stmt in body:
            if id(stmt) in self.removed_lines:
                carry.extend(stmt.leading_lines)
                continue
            if carry:
                stmt = stmt.with_changes(leading_lines=list(carry) + list(stmt.leading_lines))
                carry = []
            statements.append(stmt)
        return statements, carry


def _is_docstring(stmt) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def render(plan: FixPlan, module: cst.Module, summary=None) -> cst.Module:
    return render_plan(plan, module, summary)


def render_plan(plan: FixPlan, module: cst.Module, summary=None) -> cst.Module:
    """The new module for ``summary``: what ``render`` returns, under a name the planner uses to
    try a fix before offering it."""
    plan.finalize()
    new = module.visit(_Threader(plan))
    if summary is not None and id(summary) in plan.sentinel_home and SENTINEL in new.code:
        new = _with_sentinel(new, summary, plan.sentinel_home[id(summary)])
    if summary is not None and id(summary) in plan.needs_optional:
        context = CodemodContext()
        AddImportsVisitor.add_needed_import(context, "typing", "Optional")
        new = AddImportsVisitor(context).transform_module(new)
    return new


def _import_line(stmt) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _binds_sentinel(stmt) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, cst.Assign) and any(
            isinstance(t.target, cst.Name) and t.target.value == SENTINEL for t in small.targets
        ):
            return True
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            if any(
                (code_of(alias.asname.name) if alias.asname else code_of(alias.name)) == SENTINEL
                for alias in small.names
            ):
                return True
    return False


def code_of(node) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _with_sentinel(module: cst.Module, summary, home) -> cst.Module:
    """The sentinel that means "not given": defined once in the module of the attribute's owner,
    imported from there by the other files on the path."""
    body = list(module.body)
    if any(_binds_sentinel(stmt) for stmt in body):
        return module
    if home is summary:
        line = cst.parse_statement(f'{SENTINEL} = object()  # a default meaning "not given", where None is a value\n')
    else:
        mine = summary.package.split(".") if summary.package else []
        theirs = home.name.split(".")
        common = 0
        while common < min(len(mine), len(theirs) - (0 if home.is_package else 1)) and mine[common] == theirs[common]:
            common += 1
        if common == 0:
            line = cst.parse_statement(f"from {home.name} import {SENTINEL}\n")
        else:
            dots = "." * (len(mine) - common + 1)
            line = cst.parse_statement(f"from {dots}{'.'.join(theirs[common:])} import {SENTINEL}\n")
    at = 0
    for index, stmt in enumerate(body):
        if _import_line(stmt) or (index == 0 and _is_docstring(stmt)):
            at = index + 1
    if home is summary and at:
        line = line.with_changes(leading_lines=[cst.EmptyLine()])
    body.insert(at, line)
    return module.with_changes(body=body)


def build_edits(plan: FixPlan, originals: Dict[Path, bytes], root: Optional[Path] = None) -> List[FileEdit]:
    """New contents for every file the plan touches; raises FixError naming a file that breaks,
    or one outside ``root`` (reached through a symbolic link: links are never written through)."""
    edits: List[FileEdit] = []
    if root is not None:
        real_root = root.resolve()
        for summary in plan.files.values():
            if real_root != summary.path and real_root not in summary.path.parents:
                raise FixError(f"the fix would write {summary.path}, outside {real_root}; no file was changed")
    # Files that hold the removed writes go last: if a fix is interrupted, the writes are still
    # there, and a rerun plans the rest again (reusing the parameters already threaded).
    order = sorted(plan.files.values(), key=lambda s: (id(s) in plan.parents, str(s.path)))
    for summary in order:
        assert summary.module is not None  # a plan edits whole files, parsed with LibCST
        new_module = render(plan, summary.module, summary)
        new_bytes = new_module.bytes
        old = originals[summary.path]
        if new_bytes == old:
            continue
        try:
            cst.parse_module(new_bytes)
            compiles(new_bytes, str(summary.path), parsing.target_version())
        except Exception as exc:
            raise FixError(
                f"the fix would leave {summary.path} unparsable ({type(exc).__name__}: {exc}); no file was changed"
            ) from None
        edits.append(FileEdit(summary.path, old, new_bytes))
    return edits


def write_all(edits: Sequence[FileEdit], root: Optional[Path] = None) -> None:
    """Write every edit or none, as one transaction (see ``transaction``): under the project's fix
    lock, with a journal that lets the next run finish or undo a fix that was interrupted, each
    file keeping its owner, group and mode; read-only files are refused."""
    from .transaction import TransactionError, write_transaction

    if not edits:
        return
    if root is None:
        root = Path(os.path.commonpath([str(edit.path.parent) for edit in edits]))
    try:
        write_transaction(root, edits)
    except TransactionError as exc:
        raise FixError(str(exc)) from None
