"""What the forward analysis of one class finds, as data: the values the walker tracks (``self``,
submodules, iterables of them), the events it records (writes, reads, calls, toggles) and the
``ClassAnalysis`` that holds them. Rules read these; only ``zlint.forward`` builds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set, Tuple, Union

import libcst as cst

from .findings import ChainLink
from .modules import ClassSummary
from .trails import Trail
from .types import ContainerType, SubType


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


SETATTR_FORMS = ("setattr", "object.__setattr__", "__dict__", "vars")


@dataclass
class AttributeWrite:
    """A forward-time write of ``attr`` on ``owner``.

    ``form`` says how: ``attribute`` (``x.attr = v``, ``+=``, ``del``), ``setattr``,
    ``object.__setattr__``, ``__dict__`` (``x.__dict__["attr"] = v``) or ``vars``
    (``vars(x)["attr"] = v``). ``attr`` is None when the name is not a string literal.
    """

    kind: str  # "assign", "augassign", "annassign", "delete"
    target: cst.CSTNode  # the node findings point at
    statement: cst.CSTNode
    owner: SubValue
    attr: Optional[str]
    method: str
    function: cst.FunctionDef
    trail: Trail  # (block id, statement index) from the method body down to the statement
    owner_expr: cst.BaseExpression
    value: Optional[cst.BaseExpression]
    form: str = "attribute"


@dataclass
class ReadAccess:
    """A forward-time read of an attribute chain that starts at a submodule."""

    node: cst.Attribute
    value: SubValue
    statement: cst.CSTNode
    method: str
    function: cst.FunctionDef
    trail: Trail


@dataclass
class ContextToggle:
    """``with cm(...):`` at forward time, where ``cm`` is a project context manager that sets and
    restores attributes on a module it is given or reaches."""

    item: cst.WithItem
    statement: cst.With
    manager: str
    attrs: Tuple[str, ...]
    method: str


@dataclass
class SubmoduleCall:
    call: cst.Call
    callee: SubValue
    statement: cst.CSTNode
    method: str
    function: cst.FunctionDef
    trail: Trail


@dataclass(frozen=True)
class Effect:
    """A write that a method of a module class makes below its own ``self`` (``Block.set_skip``
    setting ``self.attention.attn.skip``), kept without syntax nodes so that it can be reused at
    every call of the method."""

    links: Tuple[ChainLink, ...]  # from the method's ``self`` down to the written object
    type: Optional[SubType]
    attr: Optional[str]
    form: str
    broadcast: bool


@dataclass
class IndirectWrite:
    """A forward-time write made for the module by code it calls: a method of a submodule
    (``layer.set_skip(v)``) or a property setter of the module itself (``self.skip = v``).
    Reported at ``node`` (the call or the assignment); it has no fix."""

    node: cst.CSTNode
    statement: cst.CSTNode
    owner: SubValue  # from the enclosing module down to the written object
    attr: Optional[str]
    form: str
    via: str  # the method that writes, e.g. ``Block.set_skip``
    receiver: str  # the written object as the method names it, e.g. ``self.attention.attn``
    method: str
    function: cst.FunctionDef


@dataclass
class Toggle:
    """A write, a call of the block, and a restore of the same attribute."""

    first: AttributeWrite
    restore: AttributeWrite
    call: SubmoduleCall
    try_statement: Optional[cst.Try] = None


@dataclass
class ClassAnalysis:
    cls: ClassSummary
    writes: List[AttributeWrite] = field(default_factory=list)
    calls: List[SubmoduleCall] = field(default_factory=list)
    reads: List[ReadAccess] = field(default_factory=list)
    context_toggles: List[ContextToggle] = field(default_factory=list)
    self_writes: List[AttributeWrite] = field(default_factory=list)
    toggles: List[Toggle] = field(default_factory=list)
    forward_methods: List[str] = field(default_factory=list)
    indirect_writes: List[IndirectWrite] = field(default_factory=list)

    def write_kind(self, write: "AttributeWrite", toggled: Optional[Set[int]] = None) -> str:
        """The one kind each write is reported as (rules claim kinds, see ``Rule.claims``):
        "broadcast" (through ``modules()``/``children()``/``apply``), "toggle" (one half of a
        set-then-restore), "attribute" (``m.x = v``), or "setattr" (``setattr``, ``__dict__``,
        ``vars()``)."""
        if write.owner.broadcast:
            return "broadcast"
        if id(write) in (toggled if toggled is not None else self.toggle_writes()):
            return "toggle"
        return "attribute" if write.form == "attribute" else "setattr"

    def writes_of(self, kinds: "Set[str] | frozenset") -> List["AttributeWrite"]:
        """The writes whose kind is among ``kinds``, in the order they were found."""
        toggled = self.toggle_writes()
        return [write for write in self.writes if self.write_kind(write, toggled) in kinds]

    def indirect_writes_of(self, kinds: "Set[str] | frozenset") -> List["IndirectWrite"]:
        """The writes made through called code whose kind (as ``write_kind``) is among ``kinds``."""
        return [write for write in self.indirect_writes if self.write_kind(write, set()) in kinds]  # type: ignore[arg-type]

    def toggle_writes(self) -> Set[int]:
        """Ids of the writes that belong to a set-then-restore toggle (reported once, as a toggle)."""
        ids: Set[int] = set()
        for toggle in self.toggles:
            ids.add(id(toggle.first))
            ids.add(id(toggle.restore))
        return ids


def link_for(expression: str, typ: Optional[SubType], reason: str = "", maybe_module: bool = True) -> ChainLink:
    if typ is None:
        return ChainLink(expression, None, False, reason, maybe_module)
    if isinstance(typ, ContainerType):
        return ChainLink(expression, typ.label, True)
    if typ.resolved:
        return ChainLink(expression, typ.label, True)
    why = reason or typ.reason or "class not resolved"
    return ChainLink(expression, typ.label, False, why)


def elem_type(typ: Optional[SubType]) -> Tuple[Optional[SubType], str]:
    if isinstance(typ, ContainerType):
        if typ.elem is None:
            return None, f"element class of the {typ.kind} is not known"
        return typ.elem, ""
    return None, "not a known module container"


def is_prefix(prefix, links) -> bool:
    """Whether the chain ``prefix`` starts the chain ``links`` (the same block, or one below it)."""
    return len(prefix) <= len(links) and tuple(links[: len(prefix)]) == tuple(prefix)
