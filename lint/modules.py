"""Per-file summaries for the project index: a module's name, imports, classes and functions.

A summary is built from Python's own ``ast`` (fast), which is all that name resolution and
"is this class a module?" need. The LibCST tree, which the analysis and the fixer work on, is
parsed only when something asks for a class's methods or the module itself.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import libcst as cst

from .cst_util import iter_statements

if TYPE_CHECKING:
    from .roots import ImportRoots


@dataclass(frozen=True)
class ImportBinding:
    """A local name bound by an import: ``module`` alone for ``import m``, or ``module`` + ``name``."""

    module: str
    name: Optional[str] = None


def ast_dotted(node) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class ClassSummary:
    """A top-level class: its name, base names and method names; LibCST nodes on demand."""

    def __init__(
        self,
        name: str,
        module: "ModuleSummary",
        base_names: List[Optional[str]],
        method_names: List[str],
        span: Tuple[int, int, int] = (1, 1, 0),
    ):
        self.name = name
        self.module = module
        self.base_names = base_names
        self.method_names = method_names
        self.span = span  # first line (decorators included), last line, column of `class`
        # Where the LibCST nodes came from: (module they belong to, line offset, column offset).
        self.segment: Optional[Tuple[cst.Module, int, int]] = None
        self._cst: Optional[Tuple[cst.ClassDef, Dict[str, cst.FunctionDef], Dict[str, cst.BaseExpression]]] = None

    @property
    def qualname(self) -> str:
        return f"{self.module.name}.{self.name}"

    def _load(self):
        if self._cst is None:
            node, self.segment = self.module.cst_class(self)
            methods: Dict[str, cst.FunctionDef] = {}
            annotations: Dict[str, cst.BaseExpression] = {}
            if node is not None:
                for stmt in iter_statements(node.body):
                    if isinstance(stmt, cst.FunctionDef):
                        methods[stmt.name.value] = stmt
                    elif isinstance(stmt, cst.AnnAssign) and isinstance(stmt.target, cst.Name):
                        annotations[stmt.target.value] = stmt.annotation.annotation
            self._cst = (node, methods, annotations)
        return self._cst

    @property
    def node(self) -> Optional[cst.ClassDef]:
        return self._load()[0]

    @property
    def methods(self) -> Dict[str, cst.FunctionDef]:
        return self._load()[1]

    @property
    def annotations(self) -> Dict[str, cst.BaseExpression]:
        return self._load()[2]

    def __repr__(self) -> str:
        return f"<ClassSummary {self.qualname}>"


@dataclass(eq=False)
class ModuleSummary:
    path: Path
    name: str
    is_package: bool
    root: Path
    load_cst: Callable[[], Optional[cst.Module]] = field(repr=False, default=lambda: None)
    load_text: Callable[[], Optional[str]] = field(repr=False, default=lambda: None)
    whole_modules: bool = False  # parse the whole file (zlint fix) instead of one class at a time
    imports: Dict[str, ImportBinding] = field(default_factory=dict)
    classes: Dict[str, ClassSummary] = field(default_factory=dict)
    function_names: List[str] = field(default_factory=list)
    aliases: Dict[str, str] = field(default_factory=dict)
    star_imports: List[str] = field(default_factory=list)  # modules of `from m import *`, in order
    all_names: Optional[List[str]] = None  # `__all__` when it is a literal list of strings
    is_namespace: bool = False  # a PEP 420 package folder without `__init__.py`
    _cst_classes: Optional[Dict[str, cst.ClassDef]] = field(default=None, repr=False)
    _cst_functions: Optional[Dict[str, cst.FunctionDef]] = field(default=None, repr=False)

    @property
    def package(self) -> str:
        if self.is_package:
            return self.name
        return self.name.rpartition(".")[0]

    @property
    def module(self) -> Optional[cst.Module]:
        return self.load_cst()

    def _index_cst(self) -> None:
        if self._cst_classes is not None:
            return
        self._cst_classes, self._cst_functions = {}, {}
        module = self.module
        if module is not None:
            _collect_cst_defs(module, self._cst_classes, self._cst_functions)

    def cst_class(self, cls: "ClassSummary"):
        """The LibCST node of ``cls`` and where it came from. Checking parses just the class's
        lines (most of a file is never needed); fixing parses the whole file, which it rewrites."""
        if not self.whole_modules and self._cst_classes is None:
            parsed = _parse_class_segment(self.load_text(), cls)
            if parsed is not None:
                return parsed
        self._index_cst()
        assert self._cst_classes is not None
        node = self._cst_classes.get(cls.name)
        return node, (self.module, 0, 0) if node is not None else None

    def cst_function(self, name: str) -> Optional[cst.FunctionDef]:
        self._index_cst()
        assert self._cst_functions is not None
        return self._cst_functions.get(name)

    @property
    def functions(self) -> List[str]:
        return self.function_names


def _collect_cst_defs(body, classes: Dict[str, cst.ClassDef], functions: Dict[str, cst.FunctionDef]) -> None:
    """Top-level classes and functions, also inside module-level ``if``/``try`` (last one wins,
    as at run time and as in the ast summary)."""
    for stmt in iter_statements(body):
        if isinstance(stmt, cst.ClassDef):
            classes[stmt.name.value] = stmt
        elif isinstance(stmt, cst.FunctionDef):
            functions[stmt.name.value] = stmt
        elif isinstance(stmt, cst.If):
            _collect_cst_defs(stmt.body, classes, functions)
            orelse = stmt.orelse
            while orelse is not None:
                _collect_cst_defs(orelse.body, classes, functions)
                orelse = getattr(orelse, "orelse", None)
        elif isinstance(stmt, cst.Try):
            # As in the ast summary: the fallbacks first, so the guarded definitions win.
            for handler in stmt.handlers:
                _collect_cst_defs(handler.body, classes, functions)
            _collect_cst_defs(stmt.body, classes, functions)
            for extra in (stmt.orelse, stmt.finalbody):
                if extra is not None:
                    _collect_cst_defs(extra.body, classes, functions)


def _parse_class_segment(text: Optional[str], cls: "ClassSummary"):
    if text is None:
        return None
    first, last, column = cls.span
    lines = text.splitlines(keepends=True)[first - 1 : last]
    if column:
        prefix = lines[0][:column] if lines else ""
        if prefix.strip():
            return None
        lines = [line[column:] if line.startswith(prefix) else line for line in lines]
    try:
        module = cst.parse_module("".join(lines))
    except Exception:
        return None
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef) and stmt.name.value == cls.name:
            return stmt, (module, first - 1, column)
    return None


def module_name_for(path: Path, roots: Optional["ImportRoots"] = None) -> Tuple[str, bool, Path]:
    """Dotted module name, whether it is a package ``__init__``, and the import root it lives under."""
    from .roots import lone_file_roots

    return (roots or lone_file_roots(path)).module_name(path)


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


def _collect_imports(stmt, summary: ModuleSummary) -> None:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                summary.imports[alias.asname] = ImportBinding(alias.name)
            else:
                top = alias.name.split(".")[0]
                summary.imports[top] = ImportBinding(top)
    elif isinstance(stmt, ast.ImportFrom):
        module = _absolute_module(summary.package, stmt.level or 0, stmt.module)
        if module is None:
            return
        for alias in stmt.names:
            if alias.name == "*":
                if module not in summary.star_imports:
                    summary.star_imports.append(module)
                continue
            summary.imports[alias.asname or alias.name] = ImportBinding(module, alias.name)


def forward_entry_points(method_names: Iterable[str]) -> List[str]:
    """The methods that run at forward time by themselves: ``forward``; in a class without a
    ``forward`` of its own, its ``forward_*`` methods, which the inherited forward runs
    (``forward_cuda``/``forward_native`` of sglang's and vLLM's custom ops, timm's
    ``forward_features``)."""
    names = list(method_names)
    if "forward" in names:
        return ["forward"]
    return sorted(n for n in names if n.startswith("forward_"))


def top_level_classes(body) -> Iterator[ast.ClassDef]:
    """The classes defined at module level, also inside module-level ``if`` and ``try``."""
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            yield stmt
        elif isinstance(stmt, ast.If):
            yield from top_level_classes(stmt.body)
            yield from top_level_classes(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from top_level_classes(stmt.body)
            for handler in stmt.handlers:
                yield from top_level_classes(handler.body)


def _summarise_class(node: ast.ClassDef, summary: ModuleSummary) -> ClassSummary:
    methods = [stmt.name for stmt in node.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))]
    first = min([d.lineno for d in node.decorator_list] + [node.lineno])
    span = (first, node.end_lineno or node.lineno, node.col_offset)
    return ClassSummary(node.name, summary, [ast_dotted(base) for base in node.bases], methods, span)


def _visit_top_level(body, summary: ModuleSummary) -> None:
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            _collect_imports(stmt, summary)
        elif isinstance(stmt, ast.ClassDef):
            summary.classes[stmt.name] = _summarise_class(stmt, summary)
        elif isinstance(stmt, ast.FunctionDef):
            summary.function_names.append(stmt.name)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            value = ast_dotted(stmt.value)
            if isinstance(target, ast.Name) and target.id == "__all__":
                summary.all_names = _string_items(stmt.value)
            elif isinstance(target, ast.Name) and value is not None:
                summary.aliases[target.id] = value
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == "__all__":
            extra = _string_items(stmt.value)
            if summary.all_names is not None and extra is not None:
                summary.all_names = summary.all_names + extra
        elif isinstance(stmt, ast.If):
            _visit_top_level(stmt.body, summary)
            _visit_top_level(stmt.orelse, summary)
        elif isinstance(stmt, ast.Try):
            # The fallbacks first: when the guarded import works, its names are the ones bound.
            for handler in stmt.handlers:
                _visit_top_level(handler.body, summary)
            _visit_top_level(stmt.body, summary)
            _visit_top_level(stmt.orelse, summary)
            _visit_top_level(stmt.finalbody, summary)


def _string_items(node) -> Optional[List[str]]:
    """The strings of a literal list or tuple of strings (``__all__``), else None."""
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.elts
    ):
        return [item.value for item in node.elts]  # type: ignore[attr-defined]
    return None


def exported_names(summary: "ModuleSummary") -> List[str]:
    """What ``from module import *`` binds: ``__all__``, else every public top-level name."""
    if summary.all_names is not None:
        return list(summary.all_names)
    names = list(summary.classes) + summary.function_names + list(summary.imports) + list(summary.aliases)
    return [name for name in dict.fromkeys(names) if not name.startswith("_")]


def namespace_summary(directory: Path, name: str, root: Path) -> ModuleSummary:
    """A PEP 420 namespace package: a folder without ``__init__.py``; only its submodules exist."""
    return ModuleSummary(path=directory, name=name, is_package=True, root=root, is_namespace=True)


def summarise(
    path: Path,
    tree: ast.Module,
    load_cst: Callable[[], Optional[cst.Module]],
    load_text: Callable[[], Optional[str]] = lambda: None,
    whole_modules: bool = False,
    roots: Optional["ImportRoots"] = None,
) -> ModuleSummary:
    name, is_package, root = module_name_for(path, roots)
    summary = ModuleSummary(
        path=path.resolve(),
        name=name,
        is_package=is_package,
        root=root,
        load_cst=load_cst,
        load_text=load_text,
        whole_modules=whole_modules,
    )
    _visit_top_level(tree.body, summary)
    return summary
