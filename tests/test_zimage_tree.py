"""ZL001 across files: a tree laid out like the Z-Image model, resolved through imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import check_tree, run_cli

DATA = Path(__file__).parent / "data" / "zimage_tree"


@pytest.fixture
def zimage(tmp_path):
    target = tmp_path / "zimage_tree"
    shutil.copytree(DATA, target)
    return target


def test_reports_exactly_the_forward_time_mutations(zimage):
    result = check_tree(zimage)
    assert not result.internal_errors
    assert [(f.path, f.start.line, f.code) for f in result.findings] == [
        ("zimage/model.py", 22, "ZL001"),
        ("zimage/model.py", 29, "ZL001"),
    ]


def test_chain_is_resolved_across_files(zimage):
    finding = check_tree(zimage).findings[0]
    classes = [link.class_name for link in finding.chain]
    assert classes == [
        "ModuleList[ZImageTransformerBlock]",
        "ZImageTransformerBlock",
        "ZImageAttention",
        "USPAttention",
    ]
    assert all(link.resolved for link in finding.chain)
    assert "USPAttention.skip_sequence_parallel" in finding.message


def test_unresolved_link_is_named_but_the_finding_stands(zimage):
    finding = check_tree(zimage).findings[1]
    assert finding.chain[0].class_name == "ZImageFinalLayer"
    last = finding.chain[-1]
    assert not last.resolved
    assert "VendorProjection" in last.reason and "outside the checked tree" in last.reason


def test_text_output_shows_frame_chain_and_summary(zimage):
    out = run_cli(["check", "."], zimage)
    assert out.exit_code == 1
    assert "zimage/model.py:22:13: ZL001 " in out.output
    assert "22 |             layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence" in out.output
    assert "^^^^ ZL001" in out.output.replace("^" * 40, "")
    assert "= chain: self.layers: ModuleList[ZImageTransformerBlock] -> [*]: ZImageTransformerBlock" in out.output
    assert "Found 2 errors." in out.output


def test_checking_one_file_still_resolves_classes_in_files_not_passed(zimage):
    result = check_tree(zimage, paths=["zimage/model.py"])
    assert [f.start.line for f in result.findings] == [22, 29]
    assert result.findings[0].chain[-1].class_name == "USPAttention"


def test_fixing_the_source_clears_the_finding(zimage):
    model = zimage / "zimage" / "model.py"
    text = model.read_text()
    model.write_text(
        text.replace("            layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence\n", "")
    )
    assert [f.start.line for f in check_tree(zimage).findings] == [28]


def test_two_trees_with_the_same_package_name_resolve_separately(tmp_path):
    cases = Path(__file__).parent / "data" / "fix_cases"
    for name in ("depth1", "depth2", "kwargs"):
        shutil.copytree(cases / name / "before", tmp_path / name)
    result = check_tree(tmp_path)
    by_case = {f.path.split("/")[0]: f for f in result.findings}
    assert set(by_case) == {"depth1", "depth2", "kwargs"}
    assert all(f.fixable for f in by_case.values()), [(f.path, f.fix_note) for f in by_case.values()]
    assert by_case["depth2"].chain[-1].class_name == "USPAttention"


def test_extend_exclude_with_a_path_pattern(tmp_path):
    shutil.copytree(DATA, tmp_path / "data" / "zimage_tree")
    (tmp_path / "pyproject.toml").write_text('[tool.zlint]\nextend-exclude = ["data/zimage_tree"]\n')
    out = run_cli(["check", "--no-cache", "."], tmp_path)
    assert out.exit_code == 0 and "zimage" not in out.output


def _check_stdin(root: Path, data: bytes, *args: str):
    command = [sys.executable, "-m", "zlint", "check", "--no-cache", "--output-format", "concise", *args, "-"]
    return subprocess.run(command, cwd=root, input=data, capture_output=True, timeout=120)


def test_standard_input_is_checked_as_the_named_file(zimage):
    """Editors send the unsaved buffer: it is checked in place of the file on disk, and its
    imports still resolve against the files around it."""
    model = zimage / "zimage" / "model.py"
    edited = model.read_bytes().replace(b"            x = layer(x)\n", b"            x = layer(x)  # edited\n")
    edited = edited.replace(b"        head.gather = flag\n", b"        pass\n")
    proc = _check_stdin(zimage, edited, "--stdin-filename", "zimage/model.py")
    out = proc.stdout.decode()
    assert proc.returncode == 1, proc.stderr
    assert out.splitlines()[0].startswith("zimage/model.py:22:13: ZL001")
    assert "USPAttention.skip_sequence_parallel" in out  # resolved through the sibling files
    assert "model.py:29" not in out  # the buffer, not the file on disk, was checked
    assert model.read_bytes() != edited  # and nothing was written


def test_standard_input_without_a_name_and_the_refusals(zimage):
    clean = _check_stdin(
        zimage, b"import torch.nn as nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n"
    )
    assert clean.returncode == 0 and b"All checks passed" in clean.stdout
    broken = _check_stdin(zimage, b"def forward(:\n")  # a file a rule needs parsed
    assert b"All checks passed" in _check_stdin(zimage, b"def broken(:\n").stdout  # one none needs
    assert broken.returncode == 1 and broken.stdout.startswith(b"-:1:") and b"ZL000" in broken.stdout
    for args in (
        ["fix", "-"],
        ["check", "--fix", "-"],
        ["check", "-", "zimage"],
        ["check", "--stdin-filename", "a.py", "zimage"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "zlint", *args], cwd=zimage, input=b"x = 1\n", capture_output=True, timeout=60
        )
        assert proc.returncode == 2 and proc.stderr.startswith(b"zlint: error:"), (args, proc.stderr)
        assert b"Traceback" not in proc.stderr
