"""The records that flow from rules to reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional, Tuple

if TYPE_CHECKING:  # a plan is attached by the fixer; findings themselves need no LibCST
    from .fix.plan_data import FixPlan


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and 1-based column, as editors show them."""

    line: int
    column: int


@dataclass(frozen=True)
class ChainLink:
    """One step of a resolved submodule chain, e.g. ``.attention`` -> ``ZImageAttention``."""

    expression: str
    class_name: Optional[str]
    resolved: bool
    reason: str = ""
    maybe_module: bool = True  # False when the step is known not to be a module (a parameter, a flag)

    def describe(self) -> str:
        if self.resolved and self.class_name:
            return f"{self.expression}: {self.class_name}"
        if self.reason:
            return f"{self.expression}: ? ({self.reason})"
        return f"{self.expression}: ?"


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str
    path: str
    start: Position
    end: Position
    chain: Tuple[ChainLink, ...] = ()
    fixable: bool = False  # a safe fix exists
    fix_title: str = ""
    fix_applicability: Optional[str] = None  # "safe", "unsafe" or None when there is no fix
    fix_note: str = ""  # why there is no fix, or why the fix is unsafe
    fix_plan: Optional[FixPlan] = field(default=None, compare=False, repr=False)
    confirmed: bool = False  # the runtime guard saw this write too
    runtime_only: bool = False  # only the runtime guard saw it
    # Lines where a suppression comment silences this finding (its statement's first and last line).
    suppression_lines: Tuple[int, ...] = field(default=(), compare=False)

    def sort_key(self):
        return (self.path, self.start.line, self.start.column, self.code, self.message)

    def chain_text(self) -> str:
        return " -> ".join(link.describe() for link in self.chain)
