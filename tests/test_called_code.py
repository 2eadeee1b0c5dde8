"""Writes that forward makes through code it calls, with the called code in other files.

``layer.set_skip(v)`` is reported in the parent's forward although the write is in the block's
file, two imports away from the attribute's owner; the warm cache notices when the setter in the
other file changes; the override of a method that an inherited forward calls is walked.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.helpers import run_cli

ATTN = """
import torch.nn as nn


class USPAttention(nn.Module):
    def forward(self, x):
        return x if self.skip_sequence_parallel else -x
"""

BLOCK = """
import torch.nn as nn

from pkg.attn import USPAttention


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x):
        return self.attn(x)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()

    def set_skip(self, value):
        self.attention.attn.skip_sequence_parallel = value

    def forward(self, x):
        return self.attention(x)
"""

MODEL = """
import torch.nn as nn

from pkg.block import Block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])

    def forward(self, x, full):
        for layer in self.layers:
            layer.set_skip(full)
            x = layer(x)
        return x
"""

SUBCLASS = """
from pkg.block import Block


class QuietBlock(Block):
    # No forward here: Block's forward runs, and does not call set_skip.
    def set_skip(self, value):
        self.attention.attn.skip_sequence_parallel = not value


class ResetBlock(Block):
    def forward_reset(self, x):
        return x
"""


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.zlint]\n")
    (root / "pkg" / "__init__.py").write_text("")
    for name, text in {"attn": ATTN, "block": BLOCK, "model": MODEL, "sub": SUBCLASS}.items():
        (root / "pkg" / f"{name}.py").write_text(textwrap.dedent(text).lstrip())
    return root


def _check(root: Path, *args):
    result = run_cli(["check", "--output-format", "json", "--exit-zero", "-j", "1", *args, "pkg"], root)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["internal_errors"] == []
    return document["findings"]


def test_setter_method_in_another_file_is_reported_at_the_call(tmp_path):
    root = _tree(tmp_path)
    findings = _check(root, "--no-cache")
    assert [(f["filename"], f["code"], f["location"]["row"]) for f in findings] == [("pkg/model.py", "ZL001", 13)]
    finding = findings[0]
    assert "through `Block.set_skip`" in finding["message"]
    assert "`layer.attention.attn`" in finding["message"]
    assert [link["class"] for link in finding["chain"]] == ["ModuleList[Block]", "Block", "Attention", "USPAttention"]
    assert finding["fixable"] is False


def test_changing_the_setter_in_another_file_reaches_the_warm_cache(tmp_path):
    root = _tree(tmp_path)
    assert len(_check(root)) == 1
    block = root / "pkg" / "block.py"
    block.write_text(
        block.read_text().replace("self.attention.attn.skip_sequence_parallel = value", "self.skip = value")
    )
    assert _check(root) == []  # the block's own state, through its own method: not reported
    attn = root / "pkg" / "attn.py"
    block.write_text(textwrap.dedent(BLOCK).lstrip())
    assert len(_check(root)) == 1
    # Two imports away from model.py: USPAttention stops being a module, so nothing is written
    # on a submodule any more.
    attn.write_text("class USPAttention:\n    skip_sequence_parallel = False\n")
    assert _check(root) == []


def test_override_reached_from_an_inherited_forward_in_another_file(tmp_path):
    root = _tree(tmp_path)
    base = root / "pkg" / "block.py"
    base.write_text(
        base.read_text()
        .replace(
            "    def forward(self, x):\n        return self.attention(x)\n\n\n",
            "    def forward(self, x):\n        return self.attention(x)\n\n\n",
        )
        .replace(
            "class Block(nn.Module):",
            "class Block(nn.Module):\n    def hook(self, x):\n        return x\n",
        )
        .replace(
            "    def forward(self, x):\n        return self.attention(x)\n",
            "    def forward(self, x):\n        x = self.hook(x)\n        return self.attention(x)\n",
        )
    )
    sub = root / "pkg" / "sub.py"
    sub.write_text(
        sub.read_text()
        + textwrap.dedent(
            """

        class HookedBlock(Block):
            def hook(self, x):
                self.attention.attn.skip_sequence_parallel = True
                return x
        """
        )
    )
    findings = [f for f in _check(root, "--no-cache") if f["filename"] == "pkg/sub.py"]
    assert [(f["code"], f["message"]) for f in findings] == [
        (
            "ZL001",
            "`HookedBlock.hook` sets `skip_sequence_parallel` on submodule `self.attention.attn` "
            "(USPAttention.skip_sequence_parallel) at forward time",
        )
    ]
