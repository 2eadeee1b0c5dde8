"""The fix writes new parameters and arguments in the layout of the list it extends: one per line
in an exploded list, inline in a one-line list, before ``**kwargs``, and without moving comments."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import check_tree, run_cli

OWNER = """\
import torch.nn as nn


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip = False

    def forward(self, x):
        return x if self.skip else -x


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = Attn()

"""
OWNER_AFTER = """\
    def forward(self, x, skip_override=None):
        if skip_override is None:
            skip_override = self.skip
        return x if skip_override else -x
"""
MODEL = """

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([Block()])

"""

# Each case: Block.forward and Model.forward before the fix, then after it.
CASES = {
    "exploded lists with trailing commas and a comment on the last argument": (
        """\
        def forward(
            self,
            x,
        ):
            return self.attn(
                x,
            )
        """,
        """\
        def forward(self, x, flag):
            for layer in self.layers:
                layer.attn.skip = flag
                x = layer(
                    x,  # the input
                )
            return x
        """,
        """\
        def forward(
            self,
            x,
            skip_override=None,
        ):
            return self.attn(
                x,
                skip_override=skip_override,
            )
        """,
        """\
        def forward(self, x, flag):
            for layer in self.layers:
                x = layer(
                    x,  # the input
                    skip_override=flag,
                )
            return x
        """,
    ),
    "exploded lists without trailing commas, comments kept on their lines": (
        """\
        def forward(
            self,
            x  # activations
        ):
            return self.attn(
                x
            )
        """,
        """\
        def forward(self, x, flag):
            for layer in self.layers:
                layer.attn.skip = flag
                x = layer(
                    x  # the input
                )
            return x
        """,
        """\
        def forward(
            self,
            x,  # activations
            skip_override=None
        ):
            return self.attn(
                x,
                skip_override=skip_override
            )
        """,
        """\
        def forward(self, x, flag):
            for layer in self.layers:
                x = layer(
                    x,  # the input
                    skip_override=flag
                )
            return x
        """,
    ),
    "one-line lists and keyword arguments before **kwargs": (
        """\
        def forward(self, x, **kwargs):
            return self.attn(x)
        """,
        """\
        def forward(self, x, flag, **extra):
            for layer in self.layers:
                layer.attn.skip = flag
                x = layer(
                    x,
                    **extra,
                )
            return x
        """,
        """\
        def forward(self, x, skip_override=None, **kwargs):
            return self.attn(x, skip_override=skip_override)
        """,
        """\
        def forward(self, x, flag, **extra):
            for layer in self.layers:
                x = layer(
                    x,
                    skip_override=flag,
                    **extra,
                )
            return x
        """,
    ),
}


def _method(code: str) -> str:
    return textwrap.indent(textwrap.dedent(code), "    ")


@pytest.mark.parametrize("name", list(CASES))
def test_new_items_follow_the_layout_of_their_list(tmp_path, name):
    block_before, model_before, block_after, model_after = CASES[name]
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    target = tmp_path / "pkg" / "m.py"
    target.write_text(OWNER + _method(block_before) + MODEL + _method(model_before))
    out = run_cli(["fix", "--no-cache", "."], tmp_path)
    assert out.exit_code == 0, out.output
    assert check_tree(tmp_path).findings == []
    expected = OWNER.replace("    def forward(self, x):\n        return x if self.skip else -x\n", OWNER_AFTER)
    assert target.read_text() == expected + _method(block_after) + MODEL + _method(model_after)
