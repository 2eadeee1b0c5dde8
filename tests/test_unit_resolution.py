"""Unit tier for name resolution (``zlint.roots``, ``zlint.index``): small trees written to a
temporary folder, one index per test, each answer checked exactly. No CLI, no rules, no cache;
each test runs in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zlint.index import External, ProjectClass, ProjectFunction, ProjectIndex, ProjectModule, Unresolved
from zlint.roots import ImportRoots


def _index(root: Path) -> ProjectIndex:
    (root / "pyproject.toml").write_text("[tool.zlint]\n")
    return ProjectIndex(ImportRoots(root))


def _resolve(index: ProjectIndex, path: Path, dotted: str):
    summary = index.load(path)
    assert summary is not None
    return index.resolve(summary, dotted)


def _class_name(symbol) -> str:
    assert isinstance(symbol, ProjectClass), symbol
    return f"{symbol.cls.module.name}.{symbol.cls.name}"


# -- module names ---------------------------------------------------------------------------------
def test_module_names_follow_packages_and_stop_at_the_first_folder_without_init(tree):
    root = tree({"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "pkg/sub/mod.py": "", "loose/mod.py": ""})
    roots = ImportRoots(root)
    assert roots.module_name(root / "pkg/sub/mod.py")[:2] == ("pkg.sub.mod", False)
    assert roots.module_name(root / "pkg/sub/__init__.py")[:2] == ("pkg.sub", True)
    assert roots.module_name(root / "loose/mod.py")[:2] == ("loose.mod", False)


def test_src_folder_is_an_import_root(tree):
    root = tree({"src/pkg/__init__.py": "", "src/pkg/mod.py": ""})
    assert ImportRoots(root).module_name(root / "src/pkg/mod.py")[0] == "pkg.mod"


# -- absolute and relative imports -----------------------------------------------------------------
def test_absolute_import_of_a_class_and_of_a_module(tree):
    root = tree(
        {
            "pkg/__init__.py": "",
            "pkg/blocks.py": "class Block:\n    pass\n",
            "pkg/model.py": "import pkg.blocks\nfrom pkg.blocks import Block\nfrom pkg import blocks as b\n",
        }
    )
    index = _index(root)
    model = root / "pkg/model.py"
    assert _class_name(_resolve(index, model, "Block")) == "pkg.blocks.Block"
    assert _class_name(_resolve(index, model, "pkg.blocks.Block")) == "pkg.blocks.Block"
    assert _class_name(_resolve(index, model, "b.Block")) == "pkg.blocks.Block"
    module = _resolve(index, model, "b")
    assert isinstance(module, ProjectModule) and module.summary.name == "pkg.blocks"


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("from .blocks import Block", "pkg.sub.blocks.Block"),
        ("from ..top import Block", "pkg.top.Block"),
        ("from . import blocks\nBlock = blocks.Block", "pkg.sub.blocks.Block"),
    ],
)
def test_relative_imports_resolve_against_the_importing_package(tree, spelling, expected):
    root = tree(
        {
            "pkg/__init__.py": "",
            "pkg/top.py": "class Block:\n    pass\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/blocks.py": "class Block:\n    pass\n",
            "pkg/sub/model.py": spelling + "\n",
        }
    )
    index = _index(root)
    assert _class_name(_resolve(index, root / "pkg/sub/model.py", "Block")) == expected


def test_relative_import_in_a_package_init_is_relative_to_that_package(tree):
    root = tree(
        {
            "pkg/__init__.py": "from .layers import Linear\n",
            "pkg/layers.py": "class Linear:\n    pass\n",
            "user.py": "from pkg import Linear\n",
        }
    )
    index = _index(root)
    assert _class_name(_resolve(index, root / "user.py", "Linear")) == "pkg.layers.Linear"


def test_a_name_that_leaves_the_tree_is_external_with_its_full_name(tree):
    root = tree({"model.py": "import torch.nn as nn\nfrom torch.nn import Linear as L\n"})
    index = _index(root)
    for spelled, qualname in (
        ("nn.Linear", "torch.nn.Linear"),
        ("L", "torch.nn.Linear"),
        ("nn.modules.conv.Conv2d", "torch.nn.modules.conv.Conv2d"),
    ):
        symbol = _resolve(index, root / "model.py", spelled)
        assert symbol == External(qualname)


def test_an_unknown_name_is_unresolved_and_says_where_it_was_looked_up(tree):
    root = tree({"pkg/__init__.py": "", "pkg/model.py": "x = 1\n"})
    symbol = _resolve(_index(root), root / "pkg/model.py", "Missing")
    assert isinstance(symbol, Unresolved)
    assert "`Missing`" in symbol.reason and "pkg.model" in symbol.reason


def test_a_function_resolves_to_the_project_function(tree):
    root = tree({"helpers.py": "def build():\n    return 1\n", "model.py": "from helpers import build\n"})
    symbol = _resolve(_index(root), root / "model.py", "build")
    assert isinstance(symbol, ProjectFunction) and symbol.name == "build"
    assert symbol.module.name == "helpers"


def test_a_module_level_alias_is_followed(tree):
    root = tree({"blocks.py": "class Block:\n    pass\n", "model.py": "import blocks\nLayer = blocks.Block\n"})
    assert _class_name(_resolve(_index(root), root / "model.py", "Layer")) == "blocks.Block"


# -- star imports ----------------------------------------------------------------------------------
def test_star_import_binds_public_names_and_respects_all(tree):
    root = tree(
        {
            "layers.py": (
                "__all__ = ['Kept']\nclass Kept:\n    pass\nclass Hidden:\n    pass\nclass _Private:\n    pass\n"
            ),
            "plain.py": "class Public:\n    pass\nclass _Private:\n    pass\n",
            "model.py": "from layers import *\nfrom plain import *\n",
        }
    )
    index = _index(root)
    model = root / "model.py"
    assert _class_name(_resolve(index, model, "Kept")) == "layers.Kept"
    assert _class_name(_resolve(index, model, "Public")) == "plain.Public"
    assert isinstance(_resolve(index, model, "Hidden"), Unresolved)  # not in __all__
    assert isinstance(_resolve(index, model, "_Private"), Unresolved)  # underscore, no __all__


def test_the_last_star_import_wins(tree):
    root = tree(
        {
            "first.py": "class Block:\n    pass\n",
            "second.py": "class Block:\n    pass\n",
            "model.py": "from first import *\nfrom second import *\n",
        }
    )
    assert _class_name(_resolve(_index(root), root / "model.py", "Block")) == "second.Block"


def test_star_import_of_an_external_module_names_the_external_member(tree):
    root = tree({"model.py": "from torch.nn import *\n"})
    assert _resolve(_index(root), root / "model.py", "Linear") == External("torch.nn.Linear")


# -- cycles and budgets ----------------------------------------------------------------------------
def test_an_import_cycle_ends_in_unresolved_with_its_reason(tree):
    root = tree({"a.py": "from b import Thing\n", "b.py": "from a import Thing\n"})
    symbol = _resolve(_index(root), root / "a.py", "Thing")
    assert isinstance(symbol, Unresolved) and "cycle" in symbol.reason


def test_a_star_import_cycle_ends(tree):
    root = tree({"a.py": "from b import *\n", "b.py": "from a import *\n"})
    assert isinstance(_resolve(_index(root), root / "a.py", "Thing"), Unresolved)


def test_mutual_imports_of_different_names_still_resolve(tree):
    root = tree(
        {
            "a.py": "from b import B\nclass A:\n    pass\n",
            "b.py": "from a import A\nclass B:\n    pass\n",
        }
    )
    index = _index(root)
    assert _class_name(_resolve(index, root / "a.py", "B")) == "b.B"
    assert _class_name(_resolve(index, root / "b.py", "A")) == "a.A"


def test_a_long_re_export_chain_is_cut_at_the_budget_not_by_recursion(tree):
    files = {f"m{i}.py": f"from m{i + 1} import Thing\n" for i in range(260)}
    files["m260.py"] = "class Thing:\n    pass\n"
    root = tree(files)
    symbol = _resolve(_index(root), root / "m0.py", "Thing")
    assert isinstance(symbol, Unresolved) and "longer than" in symbol.reason
    # A short chain of the same shape resolves.
    assert _class_name(_resolve(_index(root), root / "m250.py", "Thing")) == "m260.Thing"


# -- dependency edges ------------------------------------------------------------------------------
def test_resolution_records_which_files_it_looked_into(tree):
    root = tree(
        {
            "pkg/__init__.py": "from .blocks import Block\n",
            "pkg/blocks.py": "class Block:\n    pass\n",
            "model.py": "from pkg import Block\n",
            "unrelated.py": "class Other:\n    pass\n",
        }
    )
    index = _index(root)
    _resolve(index, root / "model.py", "Block")
    deps = index.dependencies(root / "model.py")
    assert (root / "pkg/__init__.py").resolve() in deps
    assert (root / "pkg/blocks.py").resolve() in deps  # transitively, through the package
    assert (root / "unrelated.py").resolve() not in deps


def test_record_dependency_is_what_resolution_uses(tree):
    root = tree({"a.py": "", "b.py": ""})
    index = _index(root)
    a, b = index.load(root / "a.py"), index.load(root / "b.py")
    assert a is not None and b is not None
    assert index.record_dependency(a, b) is b
    assert index.dependencies(root / "a.py") == {(root / "b.py").resolve()}
    assert index.dependencies(root / "b.py") == set()


# -- classes ---------------------------------------------------------------------------------------
def test_module_classes_are_known_through_project_and_torch_bases(tree):
    root = tree(
        {
            "model.py": (
                "import torch.nn as nn\n"
                "class Base(nn.Module):\n    pass\n"
                "class Child(Base):\n    pass\n"
                "class Plain:\n    pass\n"
            )
        }
    )
    index = _index(root)
    summary = index.load(root / "model.py")
    assert summary is not None
    assert index.is_module_class(summary.classes["Child"])
    assert not index.is_module_class(summary.classes["Plain"])


def test_submodules_come_from_init_and_bases(tree):
    root = tree(
        {
            "model.py": (
                "import torch.nn as nn\n"
                "class Block(nn.Module):\n    pass\n"
                "class Base(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                "        self.stem = Block()\n"
                "class Net(Base):\n"
                "    def __init__(self):\n        super().__init__()\n"
                "        self.blocks = nn.ModuleList([Block() for _ in range(2)])\n        self.scale = 2.0\n"
            )
        }
    )
    index = _index(root)
    summary = index.load(root / "model.py")
    assert summary is not None
    subs = index.submodules(summary.classes["Net"])
    assert set(subs) == {"stem", "blocks"}  # the float is not a submodule
    assert subs["stem"].type.label == "Block"
    assert subs["blocks"].type.kind == "ModuleList" and subs["blocks"].type.elem.label == "Block"


def test_an_index_without_an_analyser_says_so(tree):
    root = tree({"model.py": "import torch.nn as nn\nclass Net(nn.Module):\n    pass\n"})
    index = _index(root)
    summary = index.load(root / "model.py")
    assert summary is not None
    with pytest.raises(RuntimeError, match="without an analyser"):
        index.analysis(summary.classes["Net"])
