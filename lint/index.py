"""The project index: classes across files, which of them are modules, and their submodules.

Files are loaded lazily: a checked file is parsed once, and an imported file is parsed only when
resolving a name needs it. Nothing is imported or executed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

import libcst as cst

from .cst_util import (
    all_params,
    child_nodes,
    dotted_name,
    first_param_name,
    iter_statements,
    self_attribute,
    self_method_calls,
    string_literal,
)
from .modules import ClassSummary, ModuleSummary, exported_names, namespace_summary, summarise
from .evidence import callable_non_module, named_like_a_non_module
from .parsing import ParsedFile, parse_path, parse_source
from .roots import ImportRoots
from .types import ContainerType, ModuleType, SubType

TORCH_CONTAINERS = {
    "torch.nn.ModuleList": "ModuleList",
    "torch.nn.ModuleDict": "ModuleDict",
    "torch.nn.Sequential": "Sequential",
    "torch.nn.modules.container.ModuleList": "ModuleList",
    "torch.nn.modules.container.ModuleDict": "ModuleDict",
    "torch.nn.modules.container.Sequential": "Sequential",
}
# torch.nn classes that hold submodules of their own; every other torch.nn layer is a leaf.
TORCH_COMPOSITES = {
    "Module",
    "ModuleList",
    "ModuleDict",
    "Sequential",
    "MultiheadAttention",
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
}
# Names under torch.nn that are classes but not modules.
TORCH_NN_NOT_MODULES = {"Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"}
_STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"builtins", "typing", "abc", "enum", "dataclasses"}


def is_torch_module_name(qualname: str) -> bool:
    """``torch.nn.Linear``, ``torch.nn.Module``, ``torch.nn.modules.conv.Conv2d``, ..."""
    if not qualname.startswith("torch.nn."):
        return False
    last = qualname.rsplit(".", 1)[-1]
    return last[:1].isupper() and last not in TORCH_NN_NOT_MODULES


@dataclass(frozen=True)
class ProjectClass:
    cls: ClassSummary


@dataclass(frozen=True)
class ProjectModule:
    summary: ModuleSummary


@dataclass(frozen=True)
class ProjectFunction:
    name: str
    module: ModuleSummary

    @property
    def func(self) -> Optional[cst.FunctionDef]:
        return self.module.cst_function(self.name)


@dataclass(frozen=True)
class External:
    qualname: str


@dataclass(frozen=True)
class Unresolved:
    reason: str


Symbol = Union[ProjectClass, ProjectModule, ProjectFunction, External, Unresolved]


@dataclass(frozen=True)
class SubmoduleAttr:
    """``self.<name>`` bound to a module (or container of modules) at construction time."""

    name: str
    type: SubType
    owner: ClassSummary
    node: cst.CSTNode


class _Walk:
    """One name resolution: its step budget and the (module, name) pairs it is inside of.

    Every walk is bounded: a cycle (``from . import x`` resolved through itself, two modules
    importing each other's names) or a chain longer than the budget ends in an ``Unresolved``
    with its reason, never in ``RecursionError``. A fresh walk starts at each ``resolve`` call and
    nothing it decides under its budget is cached, so the answer never depends on what was
    resolved before.
    """

    LIMIT = 200

    def __init__(self) -> None:
        self.steps = 0
        self.active: Set[Tuple[Path, str]] = set()


def _earlier(candidates: Tuple[Path, ...], found: Path) -> int:
    """How many candidates come before ``found`` in lookup order (those would win if they appeared)."""
    return candidates.index(found) if found in candidates else 0


class ProjectIndex:
    def __init__(
        self,
        roots: Optional[ImportRoots] = None,
        whole_modules: bool = False,
        analyse: Optional[Callable[["ProjectIndex", ClassSummary], Any]] = None,
    ):
        self.whole_modules = whole_modules  # zlint fix rewrites files: it needs whole-file trees
        self.roots = roots if roots is not None else ImportRoots(Path.cwd())
        self._parsed: Dict[Path, ParsedFile] = {}
        self._summaries: Dict[Path, Optional[ModuleSummary]] = {}
        self._by_name: Dict[Tuple[Path, str], Optional[ModuleSummary]] = {}
        self._namespaces: Dict[str, Optional[ModuleSummary]] = {}
        self._module_class: Dict[ClassSummary, bool] = {}
        self._bases: Dict[ClassSummary, Tuple[List[Symbol], List[ClassSummary]]] = {}
        self._submodules: Dict[ClassSummary, Dict[str, SubmoduleAttr]] = {}
        # The forward analysis lives above the index (``zlint.forward``): whoever builds the index
        # passes it in, and the index only keeps each class's analysis once it is computed.
        self._analyse = analyse
        self._analyses: Dict[ClassSummary, Any] = {}
        # What a method of a module class writes below itself (``Block.set_skip``), per run.
        self._method_effects: Dict[Tuple[ClassSummary, str], tuple] = {}
        # Which files name resolution in each file looked into; used for cache invalidation.
        self.edges: Dict[Path, Set[Path]] = {}
        # Paths each file's lookups found nothing at: a new file there must invalidate it.
        self.missing: Dict[Path, Set[Path]] = {}
        self.loaded_paths: Set[Path] = set()

    # -- loading ---------------------------------------------------------------------------
    def parse(self, path: Path) -> ParsedFile:
        path = path.resolve()
        parsed = self._parsed.get(path)
        if parsed is None:
            parsed = parse_path(path)
            self._parsed[path] = parsed
            self.loaded_paths.add(path)
        return parsed

    def cached(self, path: Path) -> Optional[ParsedFile]:
        return self._parsed.get(path.resolve())

    def adopt(self, path: Path, parsed: ParsedFile) -> None:
        """Take a file parsed outside the index (the runner reads files itself first)."""
        path = path.resolve()
        self._parsed.setdefault(path, parsed)
        self.loaded_paths.add(path)

    def forget_tree(self, path: Path) -> None:
        """Free what checking ``path`` needed but the index does not: its ``ast`` tree, and all of
        it when no other file has looked into it (it is read again if an import leads there)."""
        path = path.resolve()
        parsed = self._parsed.get(path)
        if parsed is None:
            return
        if path in self._summaries:
            parsed.tree = None
        else:
            del self._parsed[path]

    def load(self, path: Path) -> Optional[ModuleSummary]:
        path = path.resolve()
        if path in self._summaries:
            return self._summaries[path]
        parsed = self.parse(path)
        tree = parsed.tree
        if tree is None and parsed.failure is None and parsed.source is not None:
            tree = parse_source(parsed.source).tree
        text = lambda: parsed.source.text if parsed.source is not None else None  # noqa: E731
        summary = (
            summarise(path, tree, lambda: parsed.module, text, self.whole_modules, roots=self.roots)
            if tree is not None
            else None
        )
        self._summaries[path] = summary
        if summary is not None:
            self._by_name.setdefault((summary.root, summary.name), summary)
        return summary

    def find_module(self, name: str, near: Optional[ModuleSummary] = None) -> Optional[ModuleSummary]:
        """The module ``name`` as an absolute import in ``near`` finds it: a regular module or
        package under any root (``near``'s own root first), else a namespace package folder."""
        near_root = near.root if near is not None else None
        rel = Path(*name.split("."))
        probed: List[Path] = []  # paths that would change this lookup if they appeared
        for root in self.roots.search_order(near_root):
            key = (root, name)
            candidates = (
                root / rel / "__init__.py",
                root / rel.with_suffix(".py"),
                root / rel / "__init__.pyi",
                root / rel.with_suffix(".pyi"),
            )
            if key not in self._by_name:
                self._by_name[key] = None
                for candidate in candidates:
                    if candidate.is_file():
                        self._by_name[key] = self.load(candidate)
                        break
            found = self._by_name[key]
            if found is not None:
                self._record_missing(near, probed + list(candidates[: _earlier(candidates, found.path)]))
                return self.record_dependency(near, found)
            probed.extend(candidates)
        # PEP 420: a folder without __init__.py is a package only when no regular one exists.
        key_ns = f"{near_root}|{name}"
        if key_ns not in self._namespaces:
            self._namespaces[key_ns] = None
            for root in self.roots.search_order(near_root):
                if (root / rel).is_dir():
                    self._namespaces[key_ns] = namespace_summary((root / rel).resolve(), name, root)
                    break
        found_ns = self._namespaces[key_ns]
        top = rel.parts[0]
        if found_ns is not None or any(
            (root / top).exists() or (root / f"{top}.py").exists() for root in self.roots.search_order(near_root)
        ):
            # Only names the project has a package for: a new file could make them resolve.
            # (An installed package's name, `torch`, is not watched for a shadowing file.)
            if found_ns is None:
                probed.extend(root / rel for root in self.roots.search_order(near_root))
            self._record_missing(near, probed)
        return found_ns

    def _record_missing(self, near: Optional[ModuleSummary], paths: List[Path]) -> None:
        if near is not None and paths and not near.is_namespace:
            self.missing.setdefault(near.path, set()).update(paths)

    def missing_paths(self, path: Path) -> Set[Path]:
        """Paths whose appearance would change what resolving names from ``path`` found: those of
        ``path`` and of every file it looked into (a new module there would be found first)."""
        path = path.resolve()
        found: Set[Path] = set(self.missing.get(path, ()))
        for dep in self.dependencies(path):
            found |= self.missing.get(dep, set())
        return found

    def record_dependency(self, near: Optional[ModuleSummary], found: ModuleSummary) -> ModuleSummary:
        """Note that resolving a name in ``near`` looked into ``found`` (the cache and the language
        server drop ``near``'s results when ``found`` changes); returns ``found``."""
        if near is not None and near is not found and not found.is_namespace and not near.is_namespace:
            self.edges.setdefault(near.path, set()).add(found.path)
        return found

    def dependencies(self, path: Path) -> Set[Path]:
        """Every file that resolving names from ``path`` has looked into, transitively."""
        path = path.resolve()
        seen: Set[Path] = set()
        stack = [path]
        while stack:
            current = stack.pop()
            for nxt in self.edges.get(current, ()):
                if nxt not in seen and nxt != path:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    # -- name resolution --------------------------------------------------------------------
    def resolve(self, summary: ModuleSummary, dotted: str, _walk: Optional[_Walk] = None) -> Symbol:
        walk = _walk if _walk is not None else _Walk()
        head, _, rest = dotted.partition(".")
        symbol = self._resolve_local(summary, head, walk)
        for part in rest.split(".") if rest else ():
            symbol = self._member(symbol, part, walk)
        return symbol

    def _resolve_local(self, summary: ModuleSummary, name: str, walk: _Walk) -> Symbol:
        walk.steps += 1
        if walk.steps > _Walk.LIMIT:
            return Unresolved(f"`{name}` in {summary.name}: the import chain is longer than {_Walk.LIMIT} steps")
        key = (summary.path, name)
        if key in walk.active:
            return Unresolved(f"import cycle through `{name}` in {summary.name}")
        walk.active.add(key)
        try:
            return self._lookup_local(summary, name, walk)
        finally:
            walk.active.discard(key)

    def _lookup_local(self, summary: ModuleSummary, name: str, walk: _Walk) -> Symbol:
        if name in summary.classes:
            return ProjectClass(summary.classes[name])
        if name in summary.function_names:
            return ProjectFunction(name, summary)
        if name in summary.aliases and summary.aliases[name].split(".")[0] != name:
            return self.resolve(summary, summary.aliases[name], walk)
        binding = summary.imports.get(name)
        if binding is not None:
            if binding.name is None:
                return self._module_symbol(binding.module, summary)
            return self._member(self._module_symbol(binding.module, summary), binding.name, walk)
        starred = self._from_star_imports(summary, name, walk)
        if starred is not None:
            return starred
        if name in ("nn", "torch"):
            # Snippets often use `nn.Module` without the import; spell it out.
            return External("torch.nn" if name == "nn" else "torch")
        return Unresolved(f"`{name}` is not defined or imported in {summary.name}")

    def _from_star_imports(self, summary: ModuleSummary, name: str, walk: _Walk) -> Optional[Symbol]:
        """``name`` bound by a ``from m import *`` of ``summary`` (the last such import wins)."""
        for module in reversed(summary.star_imports):
            target = self._module_symbol(module, summary)
            if isinstance(target, ProjectModule):
                if not target.summary.is_namespace and name in exported_names(target.summary):
                    return self._member(target, name, walk)
            elif isinstance(target, External):
                return External(f"{target.qualname}.{name}")
        return None

    def _module_symbol(self, module: str, near: ModuleSummary) -> Symbol:
        found = self.find_module(module, near)
        if found is not None:
            return ProjectModule(found)
        return External(module)

    def _member(self, symbol: Symbol, part: str, walk: _Walk) -> Symbol:
        if isinstance(symbol, ProjectModule):
            summary = symbol.summary
            if summary.is_namespace:
                sub = self.find_module(f"{summary.name}.{part}", summary)
                # A folder that is not a package of the project may be an installed one's name.
                return ProjectModule(sub) if sub is not None else External(f"{summary.name}.{part}")
            binding = summary.imports.get(part)
            # `from . import x` in a package's __init__ binds its own submodule x.
            self_import = binding is not None and binding.name == part and binding.module == summary.name
            if (
                part in summary.classes
                or part in summary.function_names
                or part in summary.aliases
                or (binding is not None and not self_import)
            ):
                return self._resolve_local(summary, part, walk)
            sub = self.find_module(f"{summary.name}.{part}", summary)
            if sub is not None:
                return ProjectModule(sub)
            starred = self._from_star_imports(summary, part, walk)
            if starred is not None:
                return starred
            return Unresolved(f"`{part}` is not defined in {summary.name}")
        if isinstance(symbol, External):
            return External(f"{symbol.qualname}.{part}")
        if isinstance(symbol, ProjectClass):
            return Unresolved(f"`{symbol.cls.name}.{part}` is a class attribute")
        return symbol

    # -- classes -----------------------------------------------------------------------------
    def _base_symbols(self, cls: ClassSummary) -> Tuple[List[Symbol], List[ClassSummary]]:
        """Each base of ``cls`` resolved, and those that are project classes (computed once)."""
        found = self._bases.get(cls)
        if found is None:
            symbols = [
                self.resolve(cls.module, dotted) if dotted else Unresolved("not a name") for dotted in cls.base_names
            ]
            projects = [sym.cls for sym in symbols if isinstance(sym, ProjectClass) and sym.cls is not cls]
            found = self._bases[cls] = (symbols, projects)
        return found

    def _module_evidence(self, cls: ClassSummary) -> bool:
        """Whether ``cls`` itself shows it is a module: a torch.nn module base, or a base the index
        cannot see together with a ``forward`` of its own."""
        unknown_base = False
        for symbol in self._base_symbols(cls)[0]:
            if isinstance(symbol, External):
                if is_torch_module_name(symbol.qualname):
                    return True
                if symbol.qualname.split(".")[0] not in _STDLIB and not symbol.qualname.startswith("torch."):
                    unknown_base = True
            elif not isinstance(symbol, ProjectClass):
                unknown_base = True
        return unknown_base and "forward" in cls.method_names

    def is_module_class(self, cls: ClassSummary) -> bool:
        """Whether ``cls`` or any class it inherits from shows it is a module. Computed over the
        whole base graph at once, without recursion, and exact for every class it visits."""
        cached = self._module_class.get(cls)
        if cached is not None:
            return cached
        graph: Dict[ClassSummary, List[ClassSummary]] = {}
        stack = [cls]
        while stack:
            current = stack.pop()
            if current in graph or current in self._module_class:
                continue
            graph[current] = self._base_symbols(current)[1]
            stack.extend(graph[current])
        verdict = {c: self._module_evidence(c) for c in graph}
        derived: Dict[ClassSummary, List[ClassSummary]] = {}
        for child, bases in graph.items():
            for base in bases:
                derived.setdefault(base, []).append(child)
        frontier = [c for c in graph if verdict[c]]
        frontier += [c for c, known in self._module_class.items() if known and c in derived]
        while frontier:
            current = frontier.pop()
            for child in derived.get(current, ()):
                if child in verdict and not verdict[child]:
                    verdict[child] = True
                    frontier.append(child)
        self._module_class.update(verdict)
        return verdict[cls]

    def project_bases(self, cls: ClassSummary) -> List[ClassSummary]:
        return list(self._base_symbols(cls)[1])

    def find_method(self, cls: ClassSummary, name: str) -> Optional[Tuple[ClassSummary, cst.FunctionDef]]:
        """``name`` as Python finds it: on ``cls``, else on its bases in depth-first order."""
        seen: Set[ClassSummary] = set()
        stack = [cls]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if name in current.methods:
                return current, current.methods[name]
            stack.extend(reversed(self.project_bases(current)))
        return None

    def type_of_class_symbol(self, symbol: Symbol, spelled: str) -> Optional[ModuleType]:
        """The module type of an instance of ``symbol``, or None when it is certainly not a module."""
        if isinstance(symbol, ProjectClass):
            return ModuleType(cls=symbol.cls) if self.is_module_class(symbol.cls) else None
        if isinstance(symbol, External):
            if is_torch_module_name(symbol.qualname):
                return ModuleType(external=symbol.qualname)
            if symbol.qualname.split(".")[0] in _STDLIB or symbol.qualname.startswith("torch."):
                return None
            return ModuleType(
                external=symbol.qualname, certain=False, reason=f"`{spelled}` is defined outside the checked tree"
            )
        if isinstance(symbol, (ProjectModule, ProjectFunction)):
            return None
        return ModuleType(certain=False, reason=symbol.reason)

    # -- submodules --------------------------------------------------------------------------
    def submodules(self, cls: ClassSummary) -> Dict[str, SubmoduleAttr]:
        """``self.<name>`` submodules of ``cls``, its bases' included (nearer classes win).
        Computed bottom-up without recursion, so long base chains cost no stack."""
        cached = self._submodules.get(cls)
        if cached is not None:
            return cached
        stack: List[Tuple[ClassSummary, bool]] = [(cls, False)]
        in_progress: Set[ClassSummary] = set()
        while stack:
            current, bases_done = stack.pop()
            if current in self._submodules:
                continue
            bases = self.project_bases(current)
            if not bases_done:
                if current in in_progress:
                    continue  # a cycle of bases: Python rejects it; the repeated class adds nothing
                in_progress.add(current)
                stack.append((current, True))
                stack.extend(
                    (base, False) for base in bases if base not in self._submodules and base not in in_progress
                )
                continue
            result: Dict[str, SubmoduleAttr] = {}
            for base in reversed(bases):
                result.update(self._submodules.get(base, {}))
            result.update(_ConstructionScanner(self, current).scan())
            self._submodules[current] = result
        return self._submodules[cls]

    def analysis(self, cls: ClassSummary):
        """The forward-time analysis of ``cls``, computed once per run."""
        found = self._analyses.get(cls)
        if found is None:
            if self._analyse is None:
                raise RuntimeError("this ProjectIndex was built without an analyser (pass analyse=analyse_class)")
            found = self._analyse(self, cls)
            self._analyses[cls] = found
        return found

    def attribute_type(self, owner: SubType, attr: str) -> Tuple[Optional[SubType], str, bool]:
        """The type of ``owner.attr`` when it is a known submodule; otherwise None, why not, and
        whether it may still be a module (the index cannot see every class)."""
        if isinstance(owner, ContainerType):
            return None, f"`{attr}` is not a submodule of a {owner.kind}", False
        if owner.cls is not None:
            found = self.submodules(owner.cls).get(attr)
            if found is not None:
                return found.type, "", True
            hidden = self.has_hidden_bases(owner.cls)
            return None, f"`{attr}` is not a submodule bound in {owner.cls.name}.__init__", hidden
        if owner.external is not None:
            parts = owner.external.split("|")
            leaves = {part.rsplit(".", 1)[-1] for part in parts}
            if owner.certain and all(is_torch_module_name(p) for p in parts) and not leaves & TORCH_COMPOSITES:
                return None, f"`{attr}` is not a submodule of {owner.label}", False
            return None, f"{owner.label} is defined outside the checked tree", True
        return None, owner.reason or "class not resolved", True

    def has_hidden_bases(self, cls: ClassSummary) -> bool:
        """Whether a base class outside the checked tree (other than torch.nn.Module) may bind
        submodules that the index cannot see, anywhere up the base graph."""
        seen: Set[ClassSummary] = set()
        stack = [cls]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            for symbol in self._base_symbols(current)[0]:
                if isinstance(symbol, ProjectClass):
                    stack.append(symbol.cls)
                elif isinstance(symbol, External):
                    if symbol.qualname.split(".")[0] in _STDLIB:
                        continue
                    leaf = symbol.qualname.rsplit(".", 1)[-1]
                    if is_torch_module_name(symbol.qualname) and (leaf == "Module" or leaf not in TORCH_COMPOSITES):
                        continue  # torch.nn.Module binds no submodules of its own
                    return True
                else:
                    return True
        return False


class _ConstructionScanner:
    """Finds ``self.<name> = <module>`` in ``__init__`` and the methods ``__init__`` calls."""

    def __init__(self, index: ProjectIndex, cls: ClassSummary):
        self.index = index
        self.cls = cls
        self.found: Dict[str, SubmoduleAttr] = {}
        self.tentative: Dict[str, SubmoduleAttr] = {}

    def scan(self) -> Dict[str, SubmoduleAttr]:
        for attr, annotation in self.cls.annotations.items():
            typ = self._annotation_type(annotation)
            if typ is not None and typ.certain:
                self.found[attr] = SubmoduleAttr(attr, typ, self.cls, annotation)
        visited: Set[str] = set()
        queue = ["__init__"]
        while queue:
            name = queue.pop(0)
            if name in visited or name not in self.cls.methods:
                continue
            visited.add(name)
            func = self.cls.methods[name]
            self_name = first_param_name(func)
            env = self._param_env(func)
            self._scan_block(func.body, self_name, env)
            for call in self_method_calls(func.body, self_name):
                queue.append(call.func.attr.value)  # type: ignore[attr-defined]
        if self.tentative:
            # Evidence that an attribute of a class nobody can see is a module: the class calls or
            # iterates it, and neither its name nor its factory says tokenizer, config, ...
            used = _attributes_used_as_modules(self.cls)
            for name, guess in self.tentative.items():
                if (
                    name not in self.found
                    and name in used
                    and not callable_non_module(name)
                    and not named_like_a_non_module(name)
                ):
                    self.found[name] = guess
        return self.found

    def _param_env(self, func: cst.FunctionDef) -> Dict[str, Optional[SubType]]:
        env: Dict[str, Optional[SubType]] = {}
        self_name = first_param_name(func)
        for param in all_params(func):
            name = param.name.value
            if param.annotation is not None:
                typ = self._annotation_type(param.annotation.annotation)
                if typ is not None and typ.certain:
                    env[name] = typ
            elif name != self_name and param.star == "" and func.name.value == "__init__":
                # A module handed to __init__ (a shared rotary embedding, a wrapped block): kept
                # as a tentative submodule, which counts only when the class calls or iterates it.
                env[name] = ModuleType(certain=False, reason=f"passed to __init__ as `{name}`")
        return env

    def _annotation_type(self, annotation: cst.BaseExpression) -> Optional[ModuleType]:
        if isinstance(annotation, cst.Subscript):  # Optional[Block]
            if dotted_name(annotation.value) in ("Optional", "typing.Optional") and annotation.slice:
                inner = annotation.slice[0].slice
                if isinstance(inner, cst.Index):
                    return self._annotation_type(inner.value)
            return None
        if isinstance(annotation, cst.SimpleString):
            try:
                annotation = cst.parse_expression(string_literal(annotation) or "")
            except Exception:
                return None
        dotted = dotted_name(annotation)
        if dotted is None:
            return None
        typ = self.index.type_of_class_symbol(self.index.resolve(self.cls.module, dotted), dotted)
        return typ if typ is not None and typ.certain else None

    def _record(self, name: str, typ: Optional[SubType], node: cst.CSTNode) -> None:
        if typ is None:
            return
        attr = SubmoduleAttr(name, typ, self.cls, node)
        certain = isinstance(typ, ContainerType) or typ.certain
        if certain:
            self.found.setdefault(name, attr)
        else:
            self.tentative.setdefault(name, attr)

    def _scan_block(self, body, self_name, env) -> None:
        for stmt in iter_statements(body):
            self._scan_statement(stmt, self_name, env)

    def _scan_statement(self, stmt, self_name, env) -> None:
        if isinstance(stmt, cst.Assign):
            typ = self._eval(stmt.value, env)
            for target in stmt.targets:
                name = self_attribute(target.target, self_name)
                if name is not None:
                    self._record(name, typ, stmt)
                elif isinstance(target.target, cst.Name):
                    env[target.target.value] = typ
        elif isinstance(stmt, cst.AnnAssign) and stmt.value is not None:
            name = self_attribute(stmt.target, self_name)
            typ = self._annotation_type(stmt.annotation.annotation) or self._eval(stmt.value, env)
            if name is not None:
                self._record(name, typ, stmt)
            elif isinstance(stmt.target, cst.Name):
                env[stmt.target.value] = typ
        elif isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call):
            self._scan_call(stmt.value, self_name, env)
        elif isinstance(stmt, cst.If):
            self._scan_block(stmt.body, self_name, env)
            orelse = stmt.orelse
            while orelse is not None:
                self._scan_block(orelse.body, self_name, env)
                orelse = getattr(orelse, "orelse", None)
        elif isinstance(stmt, (cst.For, cst.While, cst.With)):
            self._scan_block(stmt.body, self_name, env)
        elif isinstance(stmt, cst.Try):
            self._scan_block(stmt.body, self_name, env)
            for handler in stmt.handlers:
                self._scan_block(handler.body, self_name, env)
            if stmt.orelse is not None:
                self._scan_block(stmt.orelse.body, self_name, env)
            if stmt.finalbody is not None:
                self._scan_block(stmt.finalbody.body, self_name, env)

    def _scan_call(self, call: cst.Call, self_name, env) -> None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method in ("add_module", "register_module") and _is_self_expr(func.value, self_name) and len(call.args) >= 2:
            name = string_literal(call.args[0].value)
            if name is not None:
                self._record(name, self._eval(call.args[1].value, env), call)
        elif method in ("append", "extend") and isinstance(func.value, cst.Name) and call.args:
            # blocks = []; blocks.append(Block(...)); self.blocks = nn.ModuleList(blocks)
            current = env.get(func.value.value)
            arg = call.args[0].value
            elem = self._eval(arg, env) if method == "append" else self._elements(arg, env)
            if isinstance(elem, ContainerType):
                elem = elem.elem
            if isinstance(current, ContainerType) and current.kind == "list":
                env[func.value.value] = ContainerType("list", _merge(current.elem, elem))
            elif func.value.value in env and current is None and elem is not None:
                env[func.value.value] = ContainerType("list", elem)

    def _elements(self, node: cst.BaseExpression, env) -> Optional[ModuleType]:
        """The element type of a sequence expression of modules."""
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            elem = None
            for element in node.elements:
                value = element.value
                typ = self._elements(value, env) if isinstance(element, cst.StarredElement) else self._eval(value, env)
                if isinstance(typ, ContainerType):
                    typ = typ.elem
                elem = _merge(elem, typ)
            return elem
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            typ = self._eval(node.elt, env)
            return typ.elem if isinstance(typ, ContainerType) else typ
        if isinstance(node, cst.DictComp):
            typ = self._eval(node.value, env)
            return typ if isinstance(typ, ModuleType) else None
        if isinstance(node, cst.Dict):
            elem = None
            for entry in node.elements:
                if isinstance(entry, cst.DictElement):
                    typ = self._eval(entry.value, env)
                    elem = _merge(elem, typ if isinstance(typ, ModuleType) else None)
            return elem
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
            return self._elements(node.left, env) or self._elements(node.right, env)
        if isinstance(node, cst.Call) and dotted_name(node.func) in ("list", "tuple", "reversed"):
            return self._elements(node.args[0].value, env) if node.args else None
        if isinstance(node, cst.Name):
            typ = env.get(node.value)
            return typ.elem if isinstance(typ, ContainerType) else None
        return None

    def _eval(self, node: cst.BaseExpression, env) -> Optional[SubType]:
        if isinstance(node, cst.Name):
            return env.get(node.value)
        if isinstance(node, cst.IfExp):
            return self._eval(node.body, env) or self._eval(node.orelse, env)
        if isinstance(node, (cst.List, cst.ListComp)):
            elem = self._elements(node, env)
            if elem is None:
                return ContainerType("list", None) if isinstance(node, cst.List) and not node.elements else None
            return ContainerType("list", elem)
        if isinstance(node, (cst.Dict, cst.DictComp)):
            elem = self._elements(node, env)
            return ContainerType("dict", elem) if elem is not None else None
        if not isinstance(node, cst.Call):
            return None
        dotted = dotted_name(node.func)
        if dotted is None:
            return None
        symbol = self.index.resolve(self.cls.module, dotted)
        if isinstance(symbol, External) and symbol.qualname in TORCH_CONTAINERS:
            kind = TORCH_CONTAINERS[symbol.qualname]
            elem = None
            if kind == "Sequential":
                for arg in node.args:
                    typ = self._elements(arg.value, env) if arg.star == "*" else self._eval(arg.value, env)
                    if isinstance(typ, ContainerType):
                        typ = typ.elem
                    elem = _merge(elem, typ if isinstance(typ, ModuleType) else None)
            elif node.args:
                elem = self._elements(node.args[0].value, env)
            return ContainerType(kind, elem)
        if callable_non_module(dotted):
            return None  # AutoTokenizer.from_pretrained(...), make_scheduler(...): not modules
        if dotted.rsplit(".", 1)[-1][:1].islower() and not isinstance(symbol, ProjectClass):
            # A factory or helper: its result may be a module of a class nobody can see. Kept as a
            # tentative submodule, which counts only when the class calls or iterates it.
            return ModuleType(certain=False, reason=f"built by `{dotted}(...)`, whose result zlint cannot see")
        return self.index.type_of_class_symbol(symbol, dotted)


def _merge(a: Optional[ModuleType], b: Optional[ModuleType]) -> Optional[ModuleType]:
    if a is None:
        return b
    if b is None or a == b:
        return a
    if a.external and b.external and a.certain and b.certain and a.cls is None and b.cls is None:
        # Several torch layers (Sequential(Linear, SiLU, Linear)): keep them all, joined by "|".
        parts = sorted(set(a.external.split("|")) | set(b.external.split("|")))
        return ModuleType(external="|".join(parts))
    return ModuleType(certain=True, reason="the container holds several module classes")


def _is_self_expr(node, self_name) -> bool:
    return self_name is not None and isinstance(node, cst.Name) and node.value == self_name


def _attributes_used_as_modules(cls: ClassSummary) -> Set[str]:
    """Attributes the class calls (``self.x(...)``) or iterates (``for m in self.x``)."""
    used: Set[str] = set()
    for func in cls.methods.values():
        self_name = first_param_name(func)
        if self_name is None:
            continue
        stack: List[cst.CSTNode] = [func.body]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Call):
                name = self_attribute(node.func, self_name)
                if name is not None:
                    used.add(name)
            elif isinstance(node, (cst.For, cst.CompFor)):
                name = self_attribute(node.iter, self_name)
                if name is not None:
                    used.add(name)
            stack.extend(child_nodes(node))
    methods = set(cls.methods)
    return used - methods
