"""The fix writes new parameters and arguments in the layout of the list it extends: one per line
in an exploded list, inline in a one-line list, before ``**kwargs``, and without moving comments."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import check_tree, run_cli

HEAD = '''\
import torch.nn as nn


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip = False

    def forward(self, x):
        return x if self.skip else -x


'''
OWNER_AFTER = '''\
    def forward(self, x, skip_override=None):
        if skip_override is None:
            skip_override = self.skip
        return x if skip_override else -x
'''


def _fix(tmp_path, blocks: str) -> str:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    target = tmp_path / "pkg" / "m.py"
    target.write_text(HEAD + textwrap.dedent(blocks))
    out = run_cli(["fix", "--no-cache", "."], tmp_path)
    assert out.exit_code == 0, out.output
    assert check_tree(tmp_path).findings == []
    text = target.read_text()
    assert OWNER_AFTER in text
    return text[text.index("class Block"):]


CASES = {
    "exploded lists with trailing commas and a comment on the last argument": (
        """\
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = Attn()

            def forward(
                self,
                x,
            ):
                return self.attn(
                    x,
                )


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([Block()])

            def forward(self, x, flag):
                for layer in self.layers:
                    layer.attn.skip = flag
                    x = layer(
                        x,  # the input
                    )
                return x
        """,
        """\
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = Attn()

            def forward(
                self,
                x,
                skip_override=None,
            ):
                return self.attn(
                    x,
                    skip_override=skip_override,
                )


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([Block()])

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
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = Attn()

            def forward(
                self,
                x  # activations
            ):
                return self.attn(
                    x
                )


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([Block()])

            def forward(self, x, flag):
                for layer in self.layers:
                    layer.attn.skip = flag
                    x = layer(
                        x  # the input
                    )
                return x
        """,
        """\
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = Attn()

            def forward(
                self,
                x,  # activations
                skip_override=None
            ):
                return self.attn(
                    x,
                    skip_override=skip_override
                )


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([Block()])

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
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = Attn()

            def forward(self, x, **kwargs):
                return self.attn(x)


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([Block()])

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
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = Attn()

            def forward(self, x, skip_override=None, **kwargs):
                return self.attn(x, skip_override=skip_override)


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([Block()])

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


@pytest.mark.parametrize("name", list(CASES))
def test_new_items_follow_the_layout_of_their_list(tmp_path, name):
    before, after = CASES[name]
    assert _fix(tmp_path, before) == textwrap.dedent(after)
