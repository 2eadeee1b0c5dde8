"""The rule interface: one small class per rule, with its docs and examples beside it.

This module stays free of LibCST so that listing rules and reading cached results is cheap;
what a rule looks at is in ``zlint.context``."""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Dict, FrozenSet, Iterable, List, Tuple

if TYPE_CHECKING:  # rules are listed and explained without loading LibCST
    from .context import FileContext
    from .findings import Finding


WRITE_KINDS: FrozenSet[str] = frozenset({"attribute", "setattr", "broadcast", "toggle"})


@dataclass(frozen=True)
class Valid:
    """Code the rule must not flag."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag, on exactly the lines that carry ``# expect: <rule id>``."""

    code: str


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[str] = "error"
    default_enabled: ClassVar[bool] = True
    fixable: ClassVar[bool] = False
    # "analysis": ``check`` runs on each file's analysed classes; "read": the runner reports the
    # rule's findings itself as it reads and parses files (ZL000), and ``check`` is not called.
    stage: ClassVar[str] = "analysis"
    # The kinds of forward-time access the rule reports. Each write the analysis finds has one
    # kind (``ClassAnalysis.write_kind``): "attribute", "setattr", "broadcast", "toggle"; reads
    # and self-writes are "deep-read", "block-read", "self-write". The runtime guard's report
    # confirms findings of the rules that claim a write kind.
    claims: ClassVar[FrozenSet[str]] = frozenset()
    valid: ClassVar[Tuple[Valid, ...]] = ()
    invalid: ClassVar[Tuple[Invalid, ...]] = ()

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def docs(cls) -> str:
        return textwrap.dedent(inspect.getdoc(cls) or "").strip()

    @classmethod
    def summary(cls) -> str:
        return cls.docs().splitlines()[0] if cls.docs() else cls.name

    @classmethod
    def doc_sections(cls) -> Dict[str, str]:
        """The docstring's ``## Heading`` sections, by heading."""
        sections: Dict[str, List[str]] = {}
        current = None
        for line in cls.docs().splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
                sections[current] = []
            elif current is not None:
                sections[current].append(line)
        return {title: "\n".join(body).strip() for title, body in sections.items()}
