"""The records that flow from rules to reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple


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
    fixable: bool = False
    fix_title: str = ""
    # Lines where a suppression comment silences this finding (its statement's first and last line).
    suppression_lines: Tuple[int, ...] = field(default=(), compare=False)

    def sort_key(self):
        return (self.path, self.start.line, self.start.column, self.code, self.message)

    def chain_text(self) -> str:
        return " -> ".join(link.describe() for link in self.chain)
