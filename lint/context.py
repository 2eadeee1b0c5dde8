"""What a rule may look at for one file: the parsed module, its analyses, positions, fixes."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import List, Optional, Sequence

import libcst as cst
from libcst.metadata import CodeRange

from .findings import ChainLink, Finding, Position
from .analysis_data import ClassAnalysis
from .index import ProjectIndex
from .modules import ModuleSummary
from .rule import Rule

_CODEGEN = cst.Module(body=[])


class FileContext:
    """Everything a rule may look at for one file. Analyses are computed once and shared."""

    def __init__(
        self,
        path: Path,
        display_path: str,
        summary: ModuleSummary,
        index: ProjectIndex,
        config=None,
        parsed=None,
        candidates=None,
    ):
        self.path = path
        self.parsed = parsed
        self.candidates = candidates  # the classes the pre-filter kept (None: all of them)
        self.config = config
        self.display_path = display_path
        self.summary = summary
        self.index = index

    @cached_property
    def module(self):
        """The whole file's tree. Rules should prefer ``code(node)``, which needs no full parse."""
        return self.summary.module

    @staticmethod
    def code(node: cst.CSTNode) -> str:
        """The source text of ``node``."""
        return _CODEGEN.code_for_node(node)

    @cached_property
    def analyses(self) -> List[ClassAnalysis]:
        return [
            self.index.analysis(cls)
            for name, cls in self.summary.classes.items()
            if self.candidates is None or name in self.candidates
        ]

    @cached_property
    def planner(self):
        from .config import DEFAULT_PARAMETER_TEMPLATE
        from .fix.plan import Planner

        template = self.config.parameter_template if self.config is not None else DEFAULT_PARAMETER_TEMPLATE
        return Planner(self.index, template, self.config)

    @cached_property
    def locator(self):
        from .positions import Locator

        tree = self.parsed.tree if self.parsed is not None else None
        lines = self.parsed.source.text.splitlines() if self.parsed is not None and self.parsed.source else []
        return Locator(tree, lines, lambda owner: self.summary.classes[owner].segment)

    def code_range(self, node: cst.CSTNode, function=None, owner=None) -> CodeRange:
        return self.locator.range(node, function, owner)

    def write_finding(self, rule: "Rule", analysis: ClassAnalysis, write, message: str, fix=None) -> Finding:
        """A finding at a write the analysis recorded: its chain, statement, method and class."""
        return self.finding(
            rule,
            write.target,
            message,
            chain=write.owner.links,
            statement=write.statement,
            function=write.function,
            owner=analysis.cls.name,
            fix=fix,
        )

    def finding(
        self,
        rule: "Rule",
        node: cst.CSTNode,
        message: str,
        chain: Sequence[ChainLink] = (),
        statement: Optional[cst.CSTNode] = None,
        fix=None,
        function: Optional[cst.FunctionDef] = None,
        owner: Optional[str] = None,
    ) -> Finding:
        """A finding at ``node``; ``function`` (a method of class ``owner``) lets positions be
        computed for that method alone."""
        where = self.code_range(node, function, owner)
        lines = {where.start.line}
        if statement is not None:
            span = self.code_range(statement, function, owner)
            lines.update({span.start.line, span.end.line})
        return Finding(
            code=rule.code,
            name=rule.name,
            message=message,
            path=self.display_path,
            start=Position(where.start.line, where.start.column + 1),
            end=Position(where.end.line, where.end.column + 1),
            chain=tuple(chain),
            fixable=bool(fix is not None and fix.plan is not None and fix.safe),
            fix_title=fix.title if fix is not None and fix.plan is not None else "",
            fix_applicability=None if fix is None or fix.plan is None else ("safe" if fix.safe else "unsafe"),
            fix_note=fix.reason if fix is not None else "",
            fix_plan=fix.plan if fix is not None else None,
            suppression_lines=tuple(sorted(lines)),
        )
