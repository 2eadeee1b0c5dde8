"""The installed ``zlint`` package's import graph has no cycles.

The graph is built from the source with ``ast``, never by importing it. Every import
statement counts, at module level and inside functions (a function-level import is still a
dependency, just a deferred one). Imports under ``if TYPE_CHECKING:`` are left out: they
never run, and exist only so that annotations can name a type.

An edge goes to the module an import names: ``from zlint.fix import plan`` is an edge to
``zlint.fix.plan``; ``from zlint.runner import FileResult`` an edge to ``zlint.runner``. The
implicit import of a parent package's ``__init__`` is not an edge (every submodule would
otherwise sit in a cycle with its package).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set

REPO = Path(__file__).resolve().parents[1]
# The import names of the repository's two source folders (pyproject's package-dir).
PACKAGE_DIRS = {"zlint": REPO / "lint", "zlint.rules": REPO / "rules"}


def package_modules() -> Dict[str, Path]:
    """Every module of the installed package, by its dotted import name."""
    modules: Dict[str, Path] = {}
    for prefix, root in PACKAGE_DIRS.items():
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join([prefix, *parts])
            # lint/rules does not exist; rules/ is only ever reached as zlint.rules.
            modules.setdefault(name, path)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


def _runtime_imports(tree: ast.AST):
    """Import nodes that can run: everything except the body of ``if TYPE_CHECKING:``."""
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> Optional[str]:
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> Dict[str, Set[str]]:
    modules = package_modules()
    graph: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _runtime_imports(tree):
            targets: List[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _absolute(name, node, is_package)
                if base is None:
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """One cycle as a list of modules (first == last), or None."""
    white, grey, black = 0, 1, 2
    colour = {node: white for node in graph}
    parent: Dict[str, str] = {}
    for start in sorted(graph):
        if colour[start] != white:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        colour[start] = grey
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = black
                stack.pop()
                continue
            if colour[child] == grey:
                cycle = [child]
                walk = node
                while walk != child:
                    cycle.append(walk)
                    walk = parent[walk]
                cycle.append(child)
                return list(reversed(cycle))
            if colour[child] == white:
                parent[child] = node
                colour[child] = grey
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_graph_sees_the_package_and_its_edges():
    graph = import_graph()
    # A sanity check that the builder reads real imports (relative and absolute, module and
    # function level) so that "no cycle" below is not vacuous.
    assert "zlint.cli" in graph and "zlint.rules" in graph and "zlint.fix.plan" in graph
    assert "zlint.rule" in graph["zlint.rules"]  # `from zlint.rule import Rule`
    assert sum(len(targets) for targets in graph.values()) > 100


def test_find_cycle_reports_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_type_checking_imports_are_not_edges():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import zlint.cli\nelse:\n    import zlint.rule\n"
        "def f():\n    import zlint.index\n"
    )
    names = {alias.name for node in _runtime_imports(tree) for alias in node.names}
    assert names == {"TYPE_CHECKING", "zlint.rule", "zlint.index"}


def test_the_package_import_graph_has_no_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
