"""A fix adds the value at the block's own call, so it must see every other way the block runs:
handed on as a value (a checkpoint function, ``functools.partial``) refuses the fix, and every
call that the write precedes receives the argument."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from zlint.fix.plan import _passed_as_value
from tests.helpers import check_tree, run_cli


def _statements(code: str):
    return list(cst.parse_module(textwrap.dedent(code)).body)


@pytest.mark.parametrize(
    "code,expected",
    [
        ("x = layer(x)\n", None),
        ("x = layer(x * layer.scale)\n", None),
        ("if isinstance(layer, Block):\n    x = layer(x)\n", None),
        ("for layer in self.layers:\n    x = layer(x)\n", None),
        ("x = layer.attn(x)\n", None),
        ("x = checkpoint(layer, x, use_reentrant=False)\n", "checkpoint(layer, x, use_reentrant=False)"),
        # The bound method runs the block's forward without the argument added at its call.
        (
            "x = self._gradient_checkpointing_func(layer.__call__, x)\n",
            "self._gradient_checkpointing_func(layer.__call__, x)",
        ),
        ("run = layer.forward\n", "layer.forward"),
        ("x = layer.forward(x)\n", None),
        ("x = checkpoint(lambda t: layer(t), x)\n", "a nested function or lambda that calls `layer`"),
        ("run = functools.partial(layer, scale=2)\n", "functools.partial(layer, scale=2)"),
        ("blocks.append(layer)\n", "blocks.append(layer)"),
        ("block = layer\n", "layer"),
        ("return layer\n", "layer"),
        ("x = hooks.call(module=layer)\n", "hooks.call(module=layer)"),
    ],
)
def test_block_handed_on_as_a_value(code, expected):
    assert _passed_as_value(_statements(code), "layer") == expected


def test_subscript_blocks_are_matched_by_their_expression():
    statements = _statements("x = checkpoint(self.layers[i], x)\ny = self.layers[i](x)\n")
    assert _passed_as_value(statements, "self.layers[i]") == "checkpoint(self.layers[i], x)"
    assert _passed_as_value(statements[1:], "self.layers[i]") is None


MODEL = """\
import torch.nn as nn


class Leaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.flag = False

    def forward(self, x):
        return x if self.flag else -x


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.leaf = Leaf()

    def forward(self, x):
        return self.leaf(x)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x, flag):
{body}
"""


def test_a_block_called_twice_with_the_attribute_set_again_is_refused(tmp_path):
    body = textwrap.indent(
        textwrap.dedent("""\
        self.block.leaf.flag = flag
        if x is None:
            self.block.leaf.flag = not flag
        x = self.block(x)
        return self.block(x)
    """),
        "        ",
    )
    (tmp_path / "m.py").write_text(MODEL.format(body=body))
    before = (tmp_path / "m.py").read_text()
    run_cli(["fix", "--no-cache", "."], tmp_path)
    assert (tmp_path / "m.py").read_text() == before
    findings = check_tree(tmp_path).findings
    assert [(f.code, f.start.line, f.fixable) for f in findings] == [("ZL001", 28, False), ("ZL001", 30, False)]
    assert findings[0].fix_note == (
        "no fix: the block is called more than once after the write and the attribute is set again"
    )


def test_every_call_the_write_precedes_receives_the_value(tmp_path):
    body = textwrap.indent(
        textwrap.dedent("""\
        self.block.leaf.flag = flag
        x = self.block(x)
        return self.block(x)
    """),
        "        ",
    )
    (tmp_path / "m.py").write_text(MODEL.format(body=body))
    run_cli(["fix", "--no-cache", "."], tmp_path)
    fixed = (tmp_path / "m.py").read_text()
    assert "x = self.block(x, flag_override=flag)\n        return self.block(x, flag_override=flag)\n" in fixed
    assert check_tree(tmp_path).findings == []
