"""Forward-time analysis of one module class.

Walks ``forward``, the functions nested in it and the methods of the same class that forward
reaches through ``self.method(...)`` (transitively), tracking which local names hold submodules
(``self.attn``, loop variables over module containers, aliases, ``self.modules()`` targets, ...).
It emits events that rules turn into findings: attribute writes through submodules, and calls of
submodules. The walk is flow-sensitive in source order; branches are merged as "may hold".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from .cst_util import all_params, child_nodes, dotted_name, first_param_name, iter_statements, string_literal
from .evidence import chain_is_module, module_getter_name, submodule_method_may_write, tensor_write
from .findings import ChainLink
from .index import ProjectIndex
from .modules import ClassSummary, forward_entry_points
from .types import ContainerType, ModuleType, SubType
from .analysis_data import (
    MODULE_ITERATORS,
    PASS_THROUGH_ITERABLES,
    AttributeWrite,
    ClassAnalysis,
    ContextToggle,
    Effect,
    IndirectWrite,
    IterValue,
    ReadAccess,
    SelfValue,
    SubmoduleCall,
    SubValue,
    TupleValue,
    Value,
    elem_type,
    link_for,
)
from .reach import (
    decorator_names,
    forward_methods_of,
    forward_reachable,
    inherited_roots,
    property_functions,
    returned_self_attributes,
    self_calls,
)
from .toggles import find_toggles, is_context_manager, toggled_attributes


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
        # Set by the method walk before any statement is seen (records always have a function).
        self.function: cst.FunctionDef = None  # type: ignore[assignment]
        self.trail: List[Tuple[int, int]] = []
        self.local_defs: Dict[str, cst.FunctionDef] = {}
        self.applied: Set[object] = set()  # ids of targets, and (lambda, call) pairs already run
        self.seen_reads: Set[int] = set()
        self.local_lambdas: Dict[str, cst.Lambda] = {}
        self.seen_indirect: Set[tuple] = set()  # (node id, links, attribute) already reported
        self.properties: Dict[str, Optional[Value]] = {}

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
                    return replace(
                        base, links=base.links + (ChainLink("[:]", base.links[-1].class_name, base.links[-1].resolved),)
                    )
                typ, reason = elem_type(base.type)
                return SubValue(base.links + (link_for("[*]", typ, reason),), typ, base.broadcast)
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
                return self._property_value(attr)
            return SubValue((link_for(f"self.{attr}", found.type),), found.type)
        if isinstance(base, SubValue):
            if base.type is None:
                last = base.links[-1]
                reason = last.reason or "the enclosing object is not resolved"
                link = ChainLink(f".{attr}", None, False, reason, last.maybe_module)
                return SubValue(base.links + (link,), None, base.broadcast)
            typ, reason, maybe_module = self.index.attribute_type(base.type, attr)
            link = link_for(f".{attr}", typ, reason, maybe_module)
            return SubValue(base.links + (link,), typ, base.broadcast, typ is not None)
        return None

    def _module_iterator(self, base: Value, method: str, root: str) -> Optional[Value]:
        named = MODULE_ITERATORS[method]
        link = ChainLink(root, None, False, f"any module yielded by {method}()")
        elem = SubValue((link,), None, broadcast=True)
        return IterValue(TupleValue((None, elem)) if named else elem)

    def _call_value(self, node: cst.Call, env: Dict[str, Value]) -> Optional[Value]:
        func = node.func
        args = node.args
        if dotted_name(func) in ("itertools.chain", "chain") and args:
            return self._chained(args, env)
        if isinstance(func, cst.Attribute):
            base = self.eval(func.value, env)
            method = func.attr.value
            if isinstance(base, (SelfValue, SubValue)) and method in MODULE_ITERATORS:
                prefix = "self" if isinstance(base, SelfValue) else _chain_text(base)
                return self._module_iterator(base, method, f"{prefix}.{method}()")
            if isinstance(base, SubValue) and method in ("values", "items") and isinstance(base.type, ContainerType):
                typ, reason = elem_type(base.type)
                elem = SubValue(base.links + (link_for("[*]", typ, reason),), typ, base.broadcast)
                return IterValue(TupleValue((None, elem)) if method == "items" else elem)
            if isinstance(base, (SelfValue, SubValue)) and method == "get_submodule" and args:
                target = string_literal(args[0].value) or "?"
                links = base.links if isinstance(base, SubValue) else ()
                return SubValue(
                    links + (ChainLink(f".get_submodule({target!r})", None, False, "looked up by name"),), None
                )
            if isinstance(base, SelfValue):
                return self._method_result(method)
            if isinstance(base, SubValue) and not args and module_getter_name(method):
                return self._submodule_getter(base, method)
            return None
        name = dotted_name(func)
        if name == "enumerate" and args:
            counted = self.iter_elem(self.eval(args[0].value, env))
            return IterValue(TupleValue((None, counted))) if counted is not None else None
        if name == "zip" and args:
            elems = tuple(self.iter_elem(self.eval(arg.value, env)) for arg in args)
            return IterValue(TupleValue(elems)) if any(e is not None for e in elems) else None
        if name in PASS_THROUGH_ITERABLES and args:
            value = self.eval(args[0].value, env)
            passed = self.iter_elem(value)
            return IterValue(passed) if passed is not None else None
        if name == "getattr" and len(args) >= 2:
            attr = string_literal(args[1].value)
            if attr is not None:
                return self._attribute(self.eval(args[0].value, env), attr)
        return None

    def _method_result(self, method: str, getter=None) -> Optional[Value]:
        """``self.get_base_layer()``: a submodule returned by a method of the class or a base class,
        known from the method's return annotation or from ``return self.<submodule>``."""
        found: Optional[Tuple[Any, Any]]
        if getter is not None:
            found = (getter[0], getter[1])
        else:
            found = self.index.find_method(self.cls, method)
        if found is None:
            return None
        owner, func = found
        typ: Optional[SubType] = None
        if func.returns is not None:
            spelled = dotted_name(func.returns.annotation)
            if spelled is not None:
                typ = self.index.type_of_class_symbol(self.index.resolve(owner.module, spelled), spelled)
                if typ is not None and not typ.certain:
                    typ = None
        if typ is None:
            returned = returned_self_attributes(func)
            subs = self.index.submodules(owner)
            types = {id(subs[name].type): subs[name].type for name in returned if name in subs}
            if len(returned) == 1 and len(types) == 1:
                typ = next(iter(types.values()))
        if typ is None:
            return None
        return SubValue((link_for(f"self.{method}()", typ),), typ)

    def _submodule_getter(self, base: SubValue, method: str) -> Optional[Value]:
        """``base_layer.out_proj.get_base_layer()``: a getter called on a submodule. With the
        submodule's class in the tree, it is read as ``self.get_base_layer()`` is; otherwise a
        getter named for a module (``get_*_layer``, ``get_*_module``, ...) is presumed to return one."""
        expression = f".{method}()"
        if isinstance(base.type, ModuleType) and base.type.cls is not None:
            found = self.index.find_method(base.type.cls, method)
            if found is None:
                return None
            result = _Walker(self.index, base.type.cls, ClassAnalysis(base.type.cls))._method_result(method)
            if not isinstance(result, SubValue):
                return None
            return SubValue(
                base.links + (replace(result.links[0], expression=expression),), result.type, base.broadcast
            )
        link = ChainLink(expression, None, False, "returned by a getter of a class zlint cannot see")
        return SubValue(base.links + (link,), None, base.broadcast)

    def _property_value(self, attr: str) -> Optional[Value]:
        """``self.inner`` where ``inner`` is a property of the class (or a project base class)
        that returns a submodule, known as for ``_method_result``."""
        if attr in self.properties:
            return self.properties[attr]
        value: Optional[Value] = None
        found = property_functions(self.index, self.cls, attr)
        if found is not None and found[1] is not None:
            value = self._method_result(attr, found)
            if isinstance(value, SubValue):
                value = replace(value, links=(replace(value.links[0], expression=f"self.{attr}"),) + value.links[1:])
        self.properties[attr] = value
        return value

    def _chained(self, args, env: Dict[str, Value]) -> Optional[Value]:
        """``itertools.chain(self.down, self.up)``: one element value standing for any of them."""
        elems = [self.iter_elem(self.eval(arg.value, env)) for arg in args if not arg.star]
        known = [e for e in elems if isinstance(e, SubValue)]
        if not known or len(known) != len(args):
            return None
        first = known[0]
        same = all(e.type == first.type for e in known)
        return IterValue(first if same else SubValue(first.links, None, first.broadcast))

    def iter_elem(self, value: Optional[Value]) -> Optional[Value]:
        if isinstance(value, IterValue):
            return value.elem
        if isinstance(value, TupleValue):
            # `for module in [self.decoder, self.decoder.conv_out]`, also as a helper's argument.
            known = [item for item in value.items if isinstance(item, SubValue)]
            if not known or len(known) != len(value.items):
                return None
            first = known[0]
            if all(item.links == first.links for item in known):
                return first
            last = ChainLink("[*]", None, False, "one of several modules listed")
            return SubValue((last,), None, any(item.broadcast for item in known))
        if isinstance(value, SubValue):
            typ, reason = elem_type(value.type)
            if value.type is not None and not isinstance(value.type, ContainerType):
                return None  # iterating a plain module (not a container): unknown
            return SubValue(value.links + (link_for("[*]", typ, reason),), typ, value.broadcast)
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
                item = (
                    items[position] if position < len(items) and not isinstance(element, cst.StarredElement) else None
                )
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
            # Local functions and lambdas are visible only inside the method that defines them.
            self.local_defs = {}
            self.local_lambdas = {}
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
                if isinstance(target.target, cst.Name):
                    if isinstance(stmt.value, cst.Lambda):
                        self.local_lambdas[target.target.value] = stmt.value  # `set_flag = lambda m: ...`
                    else:
                        self.local_lambdas.pop(target.target.value, None)
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
                self._context_toggle(item, stmt, env)
                if item.asname is not None:
                    self.bind(item.asname.name, None, env)
            self.walk_block(stmt.body, env)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
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
            self.local_defs[stmt.name.value] = stmt
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
        assert isinstance(value, SubValue)  # checked above
        last = value.links[-1]
        links = value.links[:-1] + (
            ChainLink(last.expression, typ.label, typ.resolved, "" if typ.resolved else typ.reason),
        )
        env[subject.value] = replace(value, links=links, type=typ)

    def write_targets(self, target: cst.BaseExpression, stmt: cst.CSTNode, kind: str, env: Dict[str, Value]) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.write_targets(element.value, stmt, kind, env)
            return
        if isinstance(target, cst.StarredElement):
            self.write_targets(target.value, stmt, kind, env)
            return
        if isinstance(target, cst.Subscript) and id(target) not in self.seen_targets:
            self._dict_write(target, stmt, kind, env)
            return
        if not isinstance(target, cst.Attribute) or id(target) in self.seen_targets:
            return
        owner = self.eval(target.value, env)
        if isinstance(owner, SelfValue):
            self._property_setter_write(target, stmt)
            self.seen_targets.add(id(target))
            self.analysis.self_writes.append(
                AttributeWrite(
                    kind,
                    target,
                    stmt,
                    SubValue((), None),
                    target.attr.value,
                    self.method,
                    self.function,
                    tuple(self.trail),
                    owner_expr=target.value,
                    value=getattr(stmt, "value", None),
                )
            )
        elif (
            isinstance(owner, SubValue)
            and chain_is_module(owner.links)
            and not tensor_write(owner.type, target.attr.value)
        ):
            self.seen_targets.add(id(target))
            self.analysis.writes.append(
                AttributeWrite(
                    kind,
                    target,
                    stmt,
                    owner,
                    target.attr.value,
                    self.method,
                    self.function,
                    tuple(self.trail),
                    owner_expr=target.value,
                    value=getattr(stmt, "value", None),
                )
            )

    def _property_setter_write(self, target: cst.Attribute, stmt: cst.CSTNode) -> None:
        """``self.skip = v`` where ``skip`` is a property whose setter writes submodule state."""
        attr = target.attr.value
        if attr in self.submodules:
            return
        found = property_functions(self.index, self.cls, attr)
        if found is None or found[2] is None or found[0].module is not self.cls.module:
            return  # setters of classes in other files are not followed (the pre-filter cannot see them)
        via = f"{found[0].name}.{attr}"
        for effect in method_effects(self.index, self.cls, attr, setter=True):
            self._add_indirect(target, stmt, (), effect, via)

    def _submodule_method(self, call: cst.Call, stmt: cst.CSTNode, env: Dict[str, Value]) -> None:
        """``layer.set_skip(v)``: a method of a submodule's (resolved) class that writes state below
        the submodule; each such write is reported at the call."""
        func = call.func
        assert isinstance(func, cst.Attribute)  # the caller matched `<value>.<name>(...)`
        name = func.attr.value
        if not submodule_method_may_write(name):
            return
        base = self.eval(func.value, env)
        if not isinstance(base, SubValue) or not isinstance(base.type, ModuleType) or base.type.cls is None:
            return
        callee = base.type.cls
        found = self.index.find_method(callee, name)
        if found is None or name in forward_methods_of(self.index, callee):
            return  # not a method, or one that the block's own forward runs (reported there)
        via = f"{found[0].name}.{name}"
        for effect in method_effects(self.index, callee, name):
            self._add_indirect(call, stmt, base.links, effect, via, base.broadcast)

    def _add_indirect(self, node, stmt, prefix, effect: "Effect", via: str, broadcast: bool = False) -> None:
        key = (id(node), effect.links, effect.attr)
        if key in self.seen_indirect:
            return
        self.seen_indirect.add(key)
        links = tuple(prefix) + tuple(_rebased(link) for link in effect.links) if prefix else effect.links
        owner = SubValue(links, effect.type, broadcast or effect.broadcast)
        receiver = "".join(link.expression for link in effect.links)
        self.analysis.indirect_writes.append(
            IndirectWrite(node, stmt, owner, effect.attr, effect.form, via, receiver, self.method, self.function)
        )

    def _local_call(self, call: cst.Call, stmt: cst.CSTNode, env: Dict[str, Value]) -> None:
        """A local function or lambda called with submodules (``set_flag(self.block)``), or mapped
        over a module container (``map(lambda m: setattr(m, "x", v), self.layers)``): its body
        runs with its parameters bound to them."""
        name = dotted_name(call.func)
        args = [arg for arg in call.args if not arg.star and arg.keyword is None]
        fn: Optional[cst.CSTNode]
        if name == "map" and len(args) == 2:
            fn, values = args[0].value, [self.iter_elem(self.eval(args[1].value, env))]
        elif isinstance(call.func, cst.Lambda):
            fn, values = call.func, [self.eval(arg.value, env) for arg in args]
        elif isinstance(call.func, cst.Name):
            fn, values = call.func, [self.eval(arg.value, env) for arg in args]
        else:
            return
        if isinstance(fn, cst.Name):
            fn = self.local_lambdas.get(fn.value) or self.local_defs.get(fn.value)
        if not isinstance(fn, (cst.Lambda, cst.FunctionDef)) or not any(isinstance(v, SubValue) for v in values):
            return
        key = (id(fn), id(call))
        if key in self.applied:
            return
        self.applied.add(key)
        inner = dict(env)
        params = list(fn.params.posonly_params) + list(fn.params.params)
        for param, value in zip(params, values):
            if value is None:
                inner.pop(param.name.value, None)
            else:
                inner[param.name.value] = value
        if isinstance(fn, cst.Lambda):
            self.scan_calls(fn.body, stmt, inner, in_lambda=True)
        else:
            self.walk_block(fn.body, inner)

    def _dict_write(self, target: cst.Subscript, stmt: cst.CSTNode, kind: str, env: Dict[str, Value]) -> None:
        """``x.__dict__["name"] = v`` and ``vars(x)["name"] = v``."""
        base = target.value
        if isinstance(base, cst.Attribute) and base.attr.value == "__dict__":
            owner_expr, form = base.value, "__dict__"
        elif isinstance(base, cst.Call) and dotted_name(base.func) == "vars" and len(base.args) == 1:
            owner_expr, form = base.args[0].value, "vars"
        else:
            return
        owner = self.eval(owner_expr, env)
        if not isinstance(owner, SubValue) or not chain_is_module(owner.links):
            return
        attr = None
        if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
            attr = string_literal(target.slice[0].slice.value)
        self.seen_targets.add(id(target))
        self.analysis.writes.append(
            AttributeWrite(
                kind,
                target,
                stmt,
                owner,
                attr,
                self.method,
                self.function,
                tuple(self.trail),
                owner_expr=owner_expr,
                value=getattr(stmt, "value", None),
                form=form,
            )
        )

    def _dict_update_write(self, call: cst.Call, stmt: cst.CSTNode, env: Dict[str, Value]) -> bool:
        """``m.__dict__.update(...)`` and ``vars(m).update(...)``: writes of names zlint cannot
        list, reported in their ``__dict__``/``vars`` form without a fix."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "update"):
            return False
        target = func.value
        if isinstance(target, cst.Attribute) and target.attr.value == "__dict__":
            owner_expr, form = target.value, "__dict__"
        elif isinstance(target, cst.Call) and dotted_name(target.func) == "vars" and len(target.args) == 1:
            owner_expr, form = target.args[0].value, "vars"
        else:
            return False
        owner = self.eval(owner_expr, env)
        if not isinstance(owner, SubValue) or not chain_is_module(owner.links) or id(call) in self.seen_targets:
            return False
        self.seen_targets.add(id(call))
        self.analysis.writes.append(
            AttributeWrite(
                "assign",
                call,
                call,
                owner,
                None,
                self.method,
                self.function,
                tuple(self.trail),
                owner_expr=owner_expr,
                value=None,
                form=form,
            )
        )
        return True

    def _setattr_write(self, call: cst.Call, stmt: cst.CSTNode, env: Dict[str, Value]) -> bool:
        if self._dict_update_write(call, stmt, env):
            return True
        name = dotted_name(call.func)
        if name not in ("setattr", "object.__setattr__") or len(call.args) != 3 or any(a.star for a in call.args):
            return False
        owner = self.eval(call.args[0].value, env)
        if isinstance(owner, SubValue) and (
            not chain_is_module(owner.links) or tensor_write(owner.type, string_literal(call.args[1].value))
        ):
            return False  # setattr on a tensor or a setting held by a module: not module state
        if not isinstance(owner, SubValue) or id(call) in self.seen_targets:
            return isinstance(owner, SubValue)
        self.seen_targets.add(id(call))
        removable = isinstance(stmt, cst.Expr) and stmt.value is call
        self.analysis.writes.append(
            AttributeWrite(
                "assign",
                call,
                stmt if removable else call,
                owner,
                string_literal(call.args[1].value),
                self.method,
                self.function,
                tuple(self.trail),
                owner_expr=call.args[0].value,
                value=call.args[2].value,
                form=name,
            )
        )
        return True

    def _context_toggle(self, item: cst.WithItem, stmt: cst.With, env: Dict[str, Value]) -> None:
        call = item.item
        if not isinstance(call, cst.Call):
            return
        func: Optional[cst.FunctionDef] = None
        spelled = dotted_name(call.func) or "?"
        if isinstance(call.func, cst.Attribute) and isinstance(self.eval(call.func.value, env), SelfValue):
            func = self.cls.methods.get(call.func.attr.value)
        elif spelled != "?":
            from .index import ProjectFunction

            symbol = self.index.resolve(self.cls.module, spelled)
            if isinstance(symbol, ProjectFunction):
                func = symbol.func
                if func is not None:
                    self.index.record_dependency(self.cls.module, symbol.module)
        if func is None or not is_context_manager(func):
            return
        given = any(isinstance(self.eval(arg.value, env), (SubValue, SelfValue)) for arg in call.args)
        attrs = toggled_attributes(func)
        if attrs and given:
            self.analysis.context_toggles.append(ContextToggle(item, stmt, spelled, attrs, self.method))

    def _apply_call(self, call: cst.Call, env: Dict[str, Value]) -> None:
        """``self.apply(fn)``: ``fn`` runs on every module of the subtree."""
        base = self.eval(call.func.value, env)  # type: ignore[attr-defined]  # callers pass `x.apply(...)`
        if not isinstance(base, (SelfValue, SubValue)) or len(call.args) != 1:
            return
        prefix = "self" if isinstance(base, SelfValue) else _chain_text(base)
        module = SubValue(
            (ChainLink(f"{prefix}.apply()", None, False, "any module visited by apply()"),), None, broadcast=True
        )
        fn = call.args[0].value
        if isinstance(fn, cst.Lambda):
            params = list(fn.params.params)
            if params:
                inner = dict(env)
                inner[params[0].name.value] = module
                self.scan_calls(fn.body, call, inner, in_lambda=True)
            return
        target: Optional[cst.FunctionDef] = None
        bound_index = 0
        if isinstance(fn, cst.Name) and fn.value in self.local_defs:
            target = self.local_defs[fn.value]
        elif isinstance(fn, cst.Attribute) and isinstance(self.eval(fn.value, env), SelfValue):
            target = self.cls.methods.get(fn.attr.value)
            bound_index = 1
        if target is None or id(target) in self.applied:
            return
        self.applied.add(id(target))
        names = [p.name.value for p in list(target.params.posonly_params) + list(target.params.params)]
        if len(names) <= bound_index:
            return
        inner = dict(env)
        inner[names[bound_index]] = module
        self.walk_block(target.body, inner)

    def scan_calls(self, node: cst.CSTNode, stmt: cst.CSTNode, env: Dict[str, Value], in_lambda: bool = False) -> None:
        """Record submodule calls, ``self.method(...)`` call sites, ``setattr`` writes and
        ``apply(fn)`` broadcasts in an expression; comprehensions bind their targets."""
        stack = [(node, env)]
        calls = []
        attributes = []
        inner_attributes: Set[int] = set()
        while stack:
            current, scope = stack.pop()
            if isinstance(current, cst.Attribute):
                if id(current) not in inner_attributes:
                    attributes.append((current, scope))
                if isinstance(current.value, cst.Attribute):
                    inner_attributes.add(id(current.value))
            if isinstance(current, (cst.FunctionDef, cst.ClassDef)) or (
                isinstance(current, cst.Lambda) and not in_lambda
            ):
                continue
            if isinstance(current, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
                inner = dict(scope)
                comp: Optional[cst.CompFor] = current.for_in
                while comp is not None:
                    stack.append((comp.iter, inner))
                    self.bind(comp.target, self.iter_elem(self.eval(comp.iter, inner)), inner)
                    for cond in comp.ifs:
                        stack.append((cond, inner))
                    comp = comp.inner_for_in
                parts = [current.key, current.value] if isinstance(current, cst.DictComp) else [current.elt]
                stack.extend((part, inner) for part in parts)
                continue
            if isinstance(current, cst.Call):
                calls.append((current, scope))
            if isinstance(current, cst.NamedExpr) and isinstance(current.target, cst.Name):
                # `if (blk := self.inner) is not None:` binds an alias for what follows.
                self.bind(current.target, self.eval(current.value, scope), scope)
            stack.extend((child, scope) for child in child_nodes(current))
        for attribute, scope in attributes:
            if id(attribute) in self.seen_reads:
                continue
            value = self.eval(attribute, scope)
            if isinstance(value, SubValue) and len(value.links) >= 2:
                self.seen_reads.add(id(attribute))
                self.analysis.reads.append(
                    ReadAccess(attribute, value, stmt, self.method, self.function, tuple(self.trail))
                )
        for call, scope in reversed(calls):
            if self._setattr_write(call, stmt, scope):
                continue
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "apply":
                self._apply_call(call, scope)
            env = scope
            if isinstance(call.func, cst.Attribute):
                self._submodule_method(call, stmt, env)
            elif call.args:
                self._local_call(call, stmt, env)
            if isinstance(call.func, cst.Attribute) and isinstance(self.eval(call.func.value, env), SelfValue):
                self._record_call_site(call, env)
                continue
            callee = self.eval(call.func, env)
            if isinstance(callee, SubValue) and id(call) not in self.seen_calls:
                self.seen_calls.add(id(call))
                self.analysis.calls.append(
                    SubmoduleCall(call, callee, stmt, self.method, self.function, tuple(self.trail))
                )

    def _record_call_site(self, call: cst.Call, env: Dict[str, Value]) -> None:
        name = call.func.attr.value  # type: ignore[attr-defined]  # callers pass `self.m(...)`
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


def _rebased(link: ChainLink) -> ChainLink:
    """A link of a chain that starts at a callee's ``self``, continued from the caller's chain."""
    if link.expression.startswith("self."):
        return replace(link, expression=link.expression[4:])
    return link


def method_effects(index: ProjectIndex, cls: ClassSummary, name: str, setter: bool = False) -> Tuple[Effect, ...]:
    """The writes below ``self`` that calling ``cls``'s method ``name`` makes (or, with ``setter``,
    assigning its property ``name``), through the methods of its class it calls; computed once
    per run."""
    key = (cls, f"{name}.setter" if setter else name)
    cache = index._method_effects
    if key in cache:
        return cache[key]
    cache[key] = ()  # a method that reaches itself through other classes adds nothing more
    found: Optional[Tuple[Any, Any]]
    if setter:
        functions = property_functions(index, cls, name)
        found = (functions[0], functions[2]) if functions is not None and functions[2] is not None else None
    else:
        found = index.find_method(cls, name)
    if found is None or not index.is_module_class(found[0]):
        return ()
    owner, func = found
    if any(d.rsplit(".", 1)[-1] in ("staticmethod", "classmethod", "property") for d in decorator_names(func)):
        return ()
    analysis = ClassAnalysis(owner)
    walker = _Walker(index, owner, analysis)
    walker.method = name
    walker.walk_function(func, {}, first_param_name(func))
    called = [c.func.attr.value for c in self_calls(func)]  # type: ignore[attr-defined]  # self.<name>(...)
    others = [m for m in forward_reachable(owner, roots=called) if m != name]
    for other in others:
        inner = owner.methods[other]
        env: Dict[str, Value] = {}
        for site in walker.call_sites.get(other, []):
            for param, value in site.items():
                env.setdefault(param, value)
        walker.method = other
        walker.walk_function(inner, {}, first_param_name(inner), bound=env)
    effects = [Effect(w.owner.links, w.owner.type, w.attr, w.form, w.owner.broadcast) for w in analysis.writes]
    effects += [
        Effect(w.owner.links, w.owner.type, w.attr, w.form, w.owner.broadcast) for w in analysis.indirect_writes
    ]
    cache[key] = tuple(effects)
    return cache[key]


def analyse_class(index: ProjectIndex, cls: ClassSummary) -> ClassAnalysis:
    analysis = ClassAnalysis(cls)
    if not index.is_module_class(cls):
        return analysis
    roots = None
    if not forward_entry_points(cls.methods):
        roots = inherited_roots(index, cls)
    methods = forward_reachable(cls, roots)
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
    analysis.toggles = find_toggles(analysis)
    return analysis
