"""Per-file summaries for the project index: a module's name, imports and classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import libcst as cst

from .cst_util import dotted_name, iter_statements


@dataclass(frozen=True)
class ImportBinding:
    """A local name bound by an import: ``module`` alone for ``import m``, or ``module`` + ``name``."""

    module: str
    name: Optional[str] = None


@dataclass
class ClassSummary:
    name: str
    module: "ModuleSummary"
    node: cst.ClassDef
    bases: List[cst.BaseExpression]
    methods: Dict[str, cst.FunctionDef]
    annotations: Dict[str, cst.BaseExpression]

    @property
    def qualname(self) -> str:
        return f"{self.module.name}.{self.name}"

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


@dataclass
class ModuleSummary:
    path: Path
    name: str
    is_package: bool
    root: Path
    module: cst.Module
    imports: Dict[str, ImportBinding] = field(default_factory=dict)
    classes: Dict[str, ClassSummary] = field(default_factory=dict)
    functions: Dict[str, cst.FunctionDef] = field(default_factory=dict)
    aliases: Dict[str, str] = field(default_factory=dict)

    @property
    def package(self) -> str:
        if self.is_package:
            return self.name
        return self.name.rpartition(".")[0]


def module_name_for(path: Path) -> Tuple[str, bool, Path]:
    """Dotted module name, whether it is a package ``__init__``, and the import root it lives under."""
    path = path.resolve()
    is_package = path.stem == "__init__"
    parts: List[str] = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() or (directory / "__init__.pyi").is_file():
        parts.append(directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    name = ".".join(reversed(parts)) or path.parent.name
    return name, is_package, directory


def _absolute_module(summary_package: str, level: int, module: Optional[str]) -> Optional[str]:
    if level == 0:
        return module
    base = summary_package.split(".") if summary_package else []
    if level - 1 > len(base):
        return None
    if level > 1:
        base = base[: len(base) - (level - 1)]
    if module:
        base = base + module.split(".")
    return ".".join(base) if base else None


def _module_of(node) -> Optional[str]:
    if node is None:
        return None
    return dotted_name(node)


def _collect_imports(stmt, summary: ModuleSummary) -> None:
    if isinstance(stmt, cst.Import):
        for alias in stmt.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                summary.imports[alias.asname.name.value] = ImportBinding(full)
            else:
                top = full.split(".")[0]
                summary.imports[top] = ImportBinding(top)
    elif isinstance(stmt, cst.ImportFrom):
        level = len(stmt.relative)
        module = _absolute_module(summary.package, level, _module_of(stmt.module))
        if module is None or isinstance(stmt.names, cst.ImportStar):
            return
        for alias in stmt.names:
            imported = dotted_name(alias.name)
            if imported is None:
                continue
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            summary.imports[local] = ImportBinding(module, imported)


def _summarise_class(node: cst.ClassDef, summary: ModuleSummary) -> ClassSummary:
    methods: Dict[str, cst.FunctionDef] = {}
    annotations: Dict[str, cst.BaseExpression] = {}
    for stmt in iter_statements(node.body):
        if isinstance(stmt, cst.FunctionDef):
            methods[stmt.name.value] = stmt
        elif isinstance(stmt, cst.AnnAssign) and isinstance(stmt.target, cst.Name):
            annotations[stmt.target.value] = stmt.annotation.annotation
    return ClassSummary(
        name=node.name.value,
        module=summary,
        node=node,
        bases=[arg.value for arg in node.bases if arg.keyword is None and arg.star == ""],
        methods=methods,
        annotations=annotations,
    )


def _visit_top_level(body, summary: ModuleSummary) -> None:
    for stmt in iter_statements(body):
        if isinstance(stmt, (cst.Import, cst.ImportFrom)):
            _collect_imports(stmt, summary)
        elif isinstance(stmt, cst.ClassDef):
            summary.classes[stmt.name.value] = _summarise_class(stmt, summary)
        elif isinstance(stmt, cst.FunctionDef):
            summary.functions[stmt.name.value] = stmt
        elif isinstance(stmt, cst.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0].target
            value = dotted_name(stmt.value)
            if isinstance(target, cst.Name) and value is not None:
                summary.aliases[target.value] = value
        elif isinstance(stmt, cst.If):
            _visit_top_level(stmt.body, summary)
            orelse = stmt.orelse
            while orelse is not None:
                _visit_top_level(orelse.body, summary)
                orelse = getattr(orelse, "orelse", None)
        elif isinstance(stmt, cst.Try):
            _visit_top_level(stmt.body, summary)
            for handler in stmt.handlers:
                _visit_top_level(handler.body, summary)


def summarise(path: Path, module: cst.Module) -> ModuleSummary:
    name, is_package, root = module_name_for(path)
    summary = ModuleSummary(path=path.resolve(), name=name, is_package=is_package, root=root, module=module)
    _visit_top_level(module, summary)
    return summary
