"""The rule interface: one small class per rule, with its docs and examples beside it.

This module stays free of LibCST so that listing rules and reading cached results is cheap;
what a rule looks at is in ``zlint.context``."""

from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Dict, FrozenSet, Iterable, List, Optional, Pattern, Tuple, Union

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


# A method named ``forward`` (or ``forward_*``): ``def`` and the name may be apart by any
# whitespace Python allows there, line continuations included. ``async def forward`` holds it too.
FORWARD_METHOD = re.compile(rb"def[ \t\f\\\r\n]+forward")
# Every way the analysis sees an attribute written: assignments (plain, augmented, annotated,
# ``:=``), ``del``, ``setattr``/``__setattr__``, ``__dict__``/``vars(...)`` ``.update``, and a
# context manager handed the object (``with cm(m):``).
WRITE_TEXT = (b"=", b"del", b"setattr", b"update", b"with")

TextPattern = Union[bytes, Pattern[bytes]]


@dataclass(frozen=True)
class Needs:
    """What a file must hold for a rule to find anything in it. The pre-filters (lint/prefilter.py)
    take the union over the selected rules and skip the files, and then the classes, that no
    selected rule needs; a rule that declares no ``needs`` gets every file and every class.

    ``text``: groups of byte patterns; the raw bytes must match one pattern of every group (a
    ``bytes`` value is a substring, a compiled pattern is searched). The others are facts about
    what ``forward`` and the methods it reaches do (see lint/prefilter.py); a class is kept when
    one of the declared facts may hold: ``writes`` an attribute written on (or a context manager
    handed) a value derived from ``self`` other than ``self`` itself; ``self_writes`` an attribute
    of ``self`` written; ``read_depth`` an attribute read at least that many links below
    ``self``."""

    text: Tuple[Tuple[TextPattern, ...], ...] = ((FORWARD_METHOD,),)
    writes: bool = False
    self_writes: bool = False
    read_depth: Optional[int] = None


def analysed_by(rule_classes) -> list:
    """The rules among ``rule_classes`` that look at analysed classes: every stage but "read"
    (ZL000, reported as files are read), which has no analysis to filter for."""
    return [rule for rule in rule_classes if getattr(rule, "stage", "analysis") == "analysis"]


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
    # What a file must hold for this rule to find something (see ``Needs``); None: every file.
    needs: ClassVar[Optional[Needs]] = None

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
