"""The language server's warm index: open buffers stand in for the disk, and a change drops
exactly the results computed from the changed file (no LSP here: see test_server.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from zlint.config import Config
from zlint.server.project import Project

DATA = Path(__file__).parent / "data" / "zimage_tree"


@pytest.fixture
def tree(tmp_path):
    target = tmp_path / "zimage_tree"
    shutil.copytree(DATA, target)
    (target / "zimage" / "standalone.py").write_text(
        "import torch.nn as nn\n\n\nclass Head(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.proj = nn.Linear(2, 2)\n\n"
        "    def forward(self, x):\n        self.proj.flag = True\n        return self.proj(x)\n"
    )
    return target.resolve()


def _project(tree, buffers):
    return Project(Config(project_root=tree), lambda path: buffers.get(path))


def test_a_change_drops_exactly_the_files_whose_resolution_looked_into_it(tree):
    pkg = tree / "zimage"
    project = _project(tree, {})
    model, standalone = project.check(pkg / "model.py"), project.check(pkg / "standalone.py")
    assert [f.start.line for f in model.findings] == [22, 29]
    assert [f.start.line for f in standalone.findings] == [10]

    # model.py reaches usp_attention.py through block.py and attention.py; `from . import block`
    # looks `block` up through the package, so zimage/__init__.py goes too. standalone.py stays.
    assert project.changed([pkg / "layers" / "usp_attention.py"]) == {
        pkg / "layers" / "usp_attention.py",
        pkg / "layers" / "attention.py",
        pkg / "block.py",
        pkg / "model.py",
        pkg / "__init__.py",
    }
    assert project.check(pkg / "standalone.py") is standalone  # nothing it depends on changed
    again = project.check(pkg / "model.py")
    assert again is not model and [f.start.line for f in again.findings] == [22, 29]
    assert project.changed([pkg / "final.py"]) == {pkg / "final.py", pkg / "model.py"}
    assert project.check(pkg / "model.py") is not again


def test_an_open_buffer_overrides_the_disk_for_the_files_that_import_it(tree):
    pkg = tree / "zimage"
    buffers = {}
    project = _project(tree, buffers)
    assert project.check(pkg / "model.py").findings[0].chain[-1].class_name == "USPAttention"
    usp = pkg / "layers" / "usp_attention.py"
    buffers[usp] = usp.read_bytes().replace(b"class USPAttention(nn.Module):", b"class USPAttention:")
    project.changed([usp])
    # While the buffer says USPAttention is a plain class, `.attn` is no module: no finding
    # writes through it, for the check and for the fix index alike.
    through_attn = lambda result: [f for f in result.findings if f.chain and f.chain[-1].expression == ".attn"]  # noqa: E731
    assert through_attn(project.check(pkg / "model.py")) == []
    assert through_attn(project.check_with_plans(pkg / "model.py")) == []
    del buffers[usp]
    project.changed([usp])
    assert project.check(pkg / "model.py").findings[0].chain[-1].class_name == "USPAttention"
    assert project.check_with_plans(pkg / "model.py").findings[0].fix_plan is not None


def test_a_buffer_that_does_not_parse_is_zl000_and_its_importers_still_check(tree):
    pkg = tree / "zimage"
    # Half-edited: the class line is broken, its forward is still there (ZL000 covers the files a
    # rule needs parsed; a buffer without any forward method is not parsed).
    buffers = {pkg / "final.py": b"class ZImageFinalLayer(:\n    def forward(self, x):\n        return x\n"}
    project = _project(tree, buffers)
    broken = project.check(pkg / "final.py")
    assert [(f.code, f.start.line) for f in broken.findings] == [("ZL000", 1)]
    model = project.check(pkg / "model.py")
    assert not model.internal_errors
    assert [f.start.line for f in model.findings] == [22, 29]


def test_excluded_files_are_left_alone(tree):
    config = Config(project_root=tree, extend_exclude=["zimage/layers"])
    project = Project(config, lambda path: None)
    assert project.excluded(tree / "zimage" / "layers" / "attention.py")
    assert not project.excluded(tree / "zimage" / "model.py")


def test_server_without_the_extra_says_how_to_install_it(monkeypatch):
    from click.testing import CliRunner

    from zlint.cli import cli

    monkeypatch.setitem(sys.modules, "zlint.server.app", None)  # as if pygls were missing
    result = CliRunner().invoke(cli, ["server"])
    assert result.exit_code == 2
    assert "pip install 'zlint[server]'" in result.output


def test_a_created_file_that_an_import_looked_for_in_vain_is_found(tree):
    pkg = tree / "zimage"
    project = _project(tree, {})
    model = project.check(pkg / "model.py")
    assert "outside the checked tree" in model.findings[1].chain[-1].reason  # vendor_lib is missing

    extra = pkg / "extra.py"  # nobody looked for it: nothing is dropped but itself
    extra.write_text("X = 1\n")
    assert project.created_or_deleted(extra, created=True) == {extra}
    assert project.check(pkg / "model.py") is model

    vendor = tree / "vendor_lib.py"
    vendor.write_text("import torch.nn as nn\n\n\nclass VendorProjection(nn.Module):\n    pass\n")
    assert project.created_or_deleted(vendor, created=True) is None  # who looked for it is unknown
    again = project.check(pkg / "model.py")
    assert again.findings[1].chain[-1].class_name == "VendorProjection"

    vendor.unlink()
    assert pkg / "model.py" in project.created_or_deleted(vendor, created=False)
    assert "outside the checked tree" in project.check(pkg / "model.py").findings[1].chain[-1].reason
