"""Name resolution on real-world layouts, and the same findings however zlint is started.

The trees under tests/data/resolution have the shapes that broke resolution on real libraries:
PEP 420 folders inside regular packages, a re-exporting ``__init__.py``, a project file named like
an installed package, ``from . import x`` in a package ``__init__``, and an import cycle.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import chdir, run_cli
from zlint.index import External, ProjectClass, ProjectIndex, ProjectModule, Unresolved
from zlint.roots import ImportRoots, default_project_root, find_project_root

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
NS_TREE = DATA / "resolution" / "ns_tree"
ZIMAGE = "sglang/multimodal_gen/runtime/models/dits/zimage.py"
LLAMA = "sglang/srt/models/llama.py"


@pytest.fixture
def ns_tree(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(NS_TREE, root)
    return root


@pytest.fixture
def wheel_tree(tmp_path):
    """The same package as an unpacked wheel: no pyproject.toml, setup.cfg or .git anywhere."""
    root = tmp_path / "site"
    shutil.copytree(NS_TREE, root)
    (root / "pyproject.toml").unlink()
    return root


def _index(root: Path) -> ProjectIndex:
    return ProjectIndex(ImportRoots(find_project_root(root) or default_project_root(root)))


def _resolve(index: ProjectIndex, root: Path, rel: str, dotted: str):
    summary = index.load(root / rel)
    assert summary is not None
    return index.resolve(summary, dotted)


# -- module names -------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["ns_tree", "wheel_tree"])
def test_module_names_cross_namespace_folders(layout, request):
    root = request.getfixturevalue(layout)
    roots = ImportRoots(find_project_root(root / ZIMAGE) or default_project_root(root / ZIMAGE))
    assert roots.module_name(root / ZIMAGE)[:2] == ("sglang.multimodal_gen.runtime.models.dits.zimage", False)
    # A folder without __init__.py never becomes a root: this is not the top-level `transformers`.
    assert roots.module_name(root / "sglang/srt/models/transformers.py")[0] == "sglang.srt.models.transformers"
    assert roots.module_name(root / "sglang/srt/layers/__init__.py")[:2] == ("sglang.srt.layers", True)


def test_project_root_never_depends_on_the_working_directory(wheel_tree):
    expected = wheel_tree.resolve()
    for start in (wheel_tree / "sglang", wheel_tree / ZIMAGE, wheel_tree / "sglang/srt/models"):
        for cwd in (wheel_tree, wheel_tree / "sglang/srt"):
            with chdir(cwd):
                assert default_project_root(start) == expected


def test_src_setting_and_default_src_folders(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.zlint]\n")
    for folder in ("src/pkg", "python/other", "lib/third"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "lib/third/mod.py").write_text("")
    default = ImportRoots(tmp_path)
    assert default.roots == (tmp_path.resolve(), (tmp_path / "src").resolve(), (tmp_path / "python").resolve())
    configured = ImportRoots(tmp_path, [tmp_path / "lib"])
    assert configured.roots == ((tmp_path / "lib").resolve(),)
    assert configured.module_name(tmp_path / "lib/third/mod.py")[0] == "third.mod"


# -- resolution ----------------------------------------------------------------------------------
def test_reexport_through_namespace_folder(ns_tree):
    index = _index(ns_tree)
    symbol = _resolve(index, ns_tree, ZIMAGE, "USPAttention")
    assert isinstance(symbol, ProjectClass) and symbol.cls.qualname.endswith("attention.layer.USPAttention")


def test_project_file_named_like_an_installed_package_does_not_shadow_it(ns_tree):
    index = _index(ns_tree)
    assert _resolve(index, ns_tree, LLAMA, "LlamaConfig") == External("transformers.LlamaConfig")
    own = _resolve(index, ns_tree, "sglang/srt/models/transformers.py", "PreTrainedModel")
    assert own == External("transformers.PreTrainedModel")


def test_from_dot_import_submodule_in_package_init(ns_tree):
    index = _index(ns_tree)
    assert isinstance(_resolve(index, ns_tree, LLAMA, "layers.linear"), ProjectModule)
    direct = _resolve(index, ns_tree, LLAMA, "layers.linear.RowParallelLinear")
    assert isinstance(direct, ProjectClass) and direct.cls.name == "RowParallelLinear"
    starred = _resolve(index, ns_tree, LLAMA, "layers.RowParallelLinear")  # `from .linear import *`
    assert isinstance(starred, ProjectClass) and starred.cls is direct.cls
    # __all__ limits what a star import binds.
    assert isinstance(_resolve(index, ns_tree, LLAMA, "layers.Inner"), Unresolved)


def test_import_cycle_is_an_unresolved_link_with_its_reason(ns_tree):
    index = _index(ns_tree)
    symbol = _resolve(index, ns_tree, "sglang/srt/cycle_a.py", "CycleBase")
    assert isinstance(symbol, Unresolved) and "import cycle" in symbol.reason


def test_long_alias_chain_is_bounded(tmp_path):
    lines = ["from torch import nn", "A0 = nn.Linear"] + [f"A{i} = A{i - 1}" for i in range(1, 600)]
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "chain.py").write_text("\n".join(lines) + "\n")
    index = _index(tmp_path)
    near = _resolve(index, tmp_path, "chain.py", "A50")
    assert near == External("torch.nn.Linear")
    far = _resolve(index, tmp_path, "chain.py", "A599")
    assert isinstance(far, Unresolved) and "longer than" in far.reason


def test_deep_base_class_chain_needs_no_recursion(tmp_path):
    depth = 3000
    lines = ["from torch import nn", "class C0(nn.Module):\n    pass"]
    lines += [f"class C{i}(C{i - 1}):\n    pass" for i in range(1, depth)]
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "deep.py").write_text("\n".join(lines) + "\n")
    index = _index(tmp_path)
    summary = index.load(tmp_path / "deep.py")
    leaf = summary.classes[f"C{depth - 1}"]
    assert index.is_module_class(leaf)
    assert index.find_method(leaf, "forward") is None
    assert index.submodules(leaf) == {}


@pytest.mark.parametrize(
    "guarded",
    [
        "try:\n    from .fast import Attn\nexcept ImportError:\n    from .slow import Attn\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .fast import Attn\n",
        "import pkg.fast as fast_mod\nAttn = fast_mod.Attn\n",
        "import pkg.fast\nAttn = pkg.fast.Attn\n",
    ],
)
def test_import_forms(tmp_path, guarded):
    (tmp_path / "pyproject.toml").write_text("")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "fast.py").write_text("from torch import nn\nclass Attn(nn.Module):\n    pass\n")
    (pkg / "slow.py").write_text("from torch import nn\nclass Attn(nn.Module):\n    pass\n")
    (pkg / "model.py").write_text(guarded)
    symbol = _resolve(_index(tmp_path), tmp_path, "pkg/model.py", "Attn")
    assert isinstance(symbol, ProjectClass) and symbol.cls.module.name == "pkg.fast"


# -- determinism ---------------------------------------------------------------------------------
def _findings(args, cwd: Path):
    result = run_cli(["check", "--output-format", "json", "--exit-zero", *args], cwd)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["internal_errors"] == []
    return sorted(
        (
            os.path.normpath(os.path.join(str(cwd), f["filename"])),
            f["code"],
            f["location"]["row"],
            f["location"]["column"],
            f["message"],
            f["fixable"],
            f["fix_applicability"],
            tuple((link["expression"], link["class"], link["resolved"]) for link in f["chain"]),
        )
        for f in document["findings"]
    )


def _diff(args, cwd: Path) -> str:
    result = run_cli(["fix", "--diff", "--unsafe-fixes", *args], cwd)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    if not any((target / marker).exists() for marker in ("pyproject.toml", "setup.cfg", ".git")):
        (target / "pyproject.toml").write_text("[tool.zlint]\n")
    return target


TREES = {
    "ns_tree": (NS_TREE, ZIMAGE, "sglang"),
    "zimage_tree": (DATA / "zimage_tree", "zimage/model.py", "zimage"),
    "depth2": (DATA / "fix_cases" / "depth2" / "before", "pkg/model.py", "pkg"),
}


@pytest.mark.parametrize("name", sorted(TREES))
def test_same_findings_however_zlint_is_run(tmp_path, name):
    source, one_file, package = TREES[name]
    root = _copy(source, tmp_path / "tree")
    if not (root / one_file).exists():
        pytest.fail(f"fixture {name} has no {one_file}")
    everything = _findings(["--no-cache", "."], root)
    assert everything, "the fixture must have findings to compare"
    in_file = [f for f in everything if f[0] == str((root / one_file).resolve())]
    assert in_file

    variants = {
        "package": _findings(["--no-cache", package], root),
        "two workers": _findings(["--no-cache", "-j", "2", "."], root),
        "one worker": _findings(["--no-cache", "-j", "1", "."], root),
        "cold cache": _findings(["--cache-dir", str(tmp_path / "cache"), "."], root),
        "warm cache": _findings(["--cache-dir", str(tmp_path / "cache"), "."], root),
        "all rules": [
            f for f in _findings(["--no-cache", "--select", "ZL", "."], root) if f[1] in {g[1] for g in everything}
        ],
    }
    for label, found in variants.items():
        assert found == everything, label
    assert _findings(["--no-cache", one_file], root) == in_file
    subfolder = (root / one_file).parent
    assert _findings(["--no-cache", "."], subfolder) == [
        f for f in everything if f[0].startswith(str(subfolder.resolve()) + os.sep)
    ]
    # Selecting only the rule of a finding keeps it unchanged.
    for code in {f[1] for f in everything}:
        assert _findings(["--no-cache", "--select", code, "."], root) == [f for f in everything if f[1] == code]

    assert _diff([package], root) == _diff(["."], root)


def test_zimage_incident_resolves_fully_in_an_unpacked_wheel(wheel_tree):
    """No project marker anywhere: `check sglang`, `check .` and the single file agree, and the
    incident's chain is resolved to the leaf attention class."""
    results = [
        _findings(["--no-cache", "."], wheel_tree),
        _findings(["--no-cache", "sglang"], wheel_tree),
        _findings(["--no-cache", "."], wheel_tree / "sglang"),
    ]
    single = _findings(["--no-cache", ZIMAGE], wheel_tree)
    assert results[0] == results[1] == results[2]
    incident = [f for f in results[0] if f[0].endswith("zimage.py")]
    assert incident == single and len(incident) == 1
    chain = incident[0][7]
    assert chain[-1] == (".attn", "USPAttention", True)
    assert all(link[2] for link in chain)
    assert incident[0][5], "the incident is fixable"
    diff = _diff([ZIMAGE], wheel_tree)
    assert "skip_sequence_parallel_override=use_full_unified_sequence" in diff
    assert _diff(["sglang/multimodal_gen"], wheel_tree) == diff


def test_cycle_and_re_export_tree_has_no_internal_error(ns_tree):
    found = _findings(["--no-cache", "--select", "ZL", "."], ns_tree)
    llama = [f for f in found if f[0].endswith("llama.py")]
    assert [(f[1], f[2]) for f in llama] == [("ZL001", 14)]
    assert not any("CycleUser" in f[4] for f in found)


# -- internal errors are never hidden ------------------------------------------------------------
def test_planted_internal_error_changes_summary_and_exit_code(ns_tree, monkeypatch):
    from zlint.rules.zl001_submodule_state_mutation import SubmoduleStateMutationInForward

    original = SubmoduleStateMutationInForward.check

    def planted(self, ctx):
        if ctx.path.name == "llama.py":
            raise RuntimeError("planted")
        return original(self, ctx)

    monkeypatch.setattr(SubmoduleStateMutationInForward, "check", planted)
    text = run_cli(["check", "--no-cache", "-j", "1", "sglang/srt"], ns_tree)
    assert text.exit_code == 2
    assert "All checks passed!" not in text.output
    assert "Found 0 errors; 1 file could not be analysed." in text.output
    statistics = run_cli(["check", "--no-cache", "-j", "1", "--statistics", "sglang/srt"], ns_tree)
    assert statistics.exit_code == 2 and "1 file could not be analysed" in statistics.output
    document = json.loads(
        run_cli(["check", "--no-cache", "-j", "1", "--output-format", "json", "sglang/srt"], ns_tree).stdout
    )
    assert [e["code"] for e in document["internal_errors"]] == ["ZL001"]
    sarif = json.loads(
        run_cli(["check", "--no-cache", "-j", "1", "--output-format", "sarif", "sglang/srt"], ns_tree).stdout
    )
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "planted" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_clean_tree_still_passes(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.zlint]\n")
    (tmp_path / "ok.py").write_text(
        "from torch import nn\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n"
    )
    result = run_cli(["check", "--no-cache", "."], tmp_path)
    assert result.exit_code == 0 and "All checks passed!" in result.output
    assert ast.parse((tmp_path / "ok.py").read_text())


def test_a_new_file_that_an_import_looked_for_invalidates_the_cached_importer(tmp_path):
    """The cache records where lookups found nothing: creating the module there re-checks the
    importer (it is not served from the cache with its old, unresolved chain)."""
    (tmp_path / "pyproject.toml").write_text("[tool.zlint]\n")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text(
        "import torch.nn as nn\n"
        "from pkg.attn import Attention\n\n\n"
        "class Model(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.attn = Attention()\n\n"
        "    def forward(self, x, flag):\n"
        "        self.attn.inner.flag = flag\n"
        "        return self.attn(x)\n"
    )
    cache = ["--cache-dir", str(tmp_path / "cache"), "."]
    before = _findings(cache, tmp_path)
    assert before and not before[0][7][-1][2]  # `.inner` is not resolved: pkg/attn.py is missing
    (pkg / "attn.py").write_text(
        "import torch.nn as nn\n\n\n"
        "class Inner(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n\n\n"
        "class Attention(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.inner = Inner()\n\n"
        "    def forward(self, x):\n"
        "        return self.inner(x)\n"
    )
    after = [f for f in _findings(cache, tmp_path) if f[0].endswith("model.py")]
    assert after == [f for f in _findings(["--no-cache", "."], tmp_path) if f[0].endswith("model.py")]
    assert after[0][7][-1] == (".inner", "Inner", True)
