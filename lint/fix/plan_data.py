"""A fix plan as data: the edits for one or more findings, keyed by the identity of the nodes
they change and grouped by file. The planner (``plan.py``) fills it; ``apply.py`` renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from ..modules import ModuleSummary
from .values import code

SENTINEL = "_NOT_GIVEN"


@dataclass
class FixPlan:
    """Edits for one or more findings, grouped by file (a module summary)."""

    # func -> (name, annotation, default code)
    add_params: Dict[int, List[Tuple[str, Optional[str], str]]] = field(default_factory=dict)
    add_kwargs: Dict[int, List[Tuple[str, cst.BaseExpression]]] = field(default_factory=dict)
    remove: Set[int] = field(default_factory=set)
    drop_finally: Set[int] = field(default_factory=set)  # try statements whose finally clause goes
    # statement -> {target node: the local that takes its place, or None to drop the target}
    retarget: Dict[int, Dict[int, Optional[str]]] = field(default_factory=dict)
    all_targets: Dict[int, Tuple[int, ...]] = field(default_factory=dict)  # statement -> its target nodes
    bind_value: Dict[int, Tuple[str, cst.BaseExpression]] = field(default_factory=dict)  # stmt -> local = value
    bind_once: Dict[int, List[Tuple[str, str, str]]] = field(default_factory=dict)  # func -> (param, attr, default)
    replace_reads: Dict[int, str] = field(default_factory=dict)  # self.attr node -> param
    needs_optional: Set[int] = field(default_factory=set)  # summaries whose file needs `Optional`
    sentinel_home: Dict[int, ModuleSummary] = field(default_factory=dict)  # summary -> where the sentinel lives
    aliases: Dict[int, List[Tuple[int, Optional[int]]]] = field(default_factory=dict)  # alias stmt -> uses
    dropped: Set[int] = field(default_factory=set)  # owner expressions gone with a write bound to a local
    files: Dict[int, ModuleSummary] = field(default_factory=dict)
    parents: Set[int] = field(default_factory=set)  # summaries whose file holds a removed write

    def touch(self, summary: ModuleSummary) -> None:
        self.files[id(summary)] = summary

    def conflict(self, other: "FixPlan") -> Optional[str]:
        """Why ``other`` cannot be merged into this plan (the same parameter with another default,
        the same argument with another value), or None."""
        for key, items in other.add_params.items():
            mine = {name: default for name, _, default in self.add_params.get(key, [])}
            for name, _, default in items:
                if name in mine and mine[name] != default:
                    return f"`{name}` would need two defaults"
        for key, passed in other.add_kwargs.items():
            given = {name: code(value) for name, value in self.add_kwargs.get(key, [])}
            for name, value in passed:
                if name in given and given[name] != code(value):
                    return f"`{name}` would be passed two values at one call"
        return None

    def merge(self, other: "FixPlan") -> None:
        for key, items in other.add_params.items():
            bucket = self.add_params.setdefault(key, [])
            bucket.extend(item for item in items if item[0] not in [b[0] for b in bucket])
        for key, passed in other.add_kwargs.items():
            arguments = self.add_kwargs.setdefault(key, [])
            for name, value in passed:
                if name not in [b[0] for b in arguments]:
                    arguments.append((name, value))
        self.remove |= other.remove
        self.drop_finally |= other.drop_finally
        for key, targets in other.retarget.items():
            self.retarget.setdefault(key, {}).update(targets)
        self.all_targets.update(other.all_targets)
        self.bind_value.update(other.bind_value)
        for key, bindings in other.bind_once.items():
            bound = self.bind_once.setdefault(key, [])
            bound.extend(item for item in bindings if item not in bound)
        self.replace_reads.update(other.replace_reads)
        self.needs_optional |= other.needs_optional
        self.sentinel_home.update(other.sentinel_home)
        for key, uses in other.aliases.items():
            self.aliases[key] = uses
        self.dropped |= other.dropped
        self.files.update(other.files)
        self.parents |= other.parents

    def finalize(self) -> None:
        """Statements left with no target go; so does an alias whose every use went."""
        for stmt_id, targets in self.retarget.items():
            total = self.all_targets.get(stmt_id, ())
            if all(t in targets and targets[t] is None for t in total):
                self.remove.add(stmt_id)
        changed = True
        while changed:
            changed = False
            for alias, uses in self.aliases.items():
                if alias in self.remove:
                    continue
                if all(
                    stmt in self.remove
                    or (target is not None and (target in self.retarget.get(stmt, {}) or target in self.dropped))
                    for stmt, target in uses
                ):
                    self.remove.add(alias)
                    changed = True
