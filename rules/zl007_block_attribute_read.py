"""ZL007: forward reads a plain attribute of a block it takes from a block list (opt in)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from zlint.findings import Finding
from zlint.rule import Invalid, Needs, Rule, Valid

if TYPE_CHECKING:
    from zlint.context import FileContext


def _block_list_attribute(read, call) -> bool:
    """``block.idx`` where ``block`` is an element of a module list that forward iterates and
    calls (the lists block caches wrap), ``idx`` a plain attribute of the block's class: neither
    a submodule nor a method, so a wrapper standing in for the block does not have it."""
    links = read.value.links
    block_links = call.callee.links
    if len(links) != len(block_links) + 1 or not block_links or block_links[-1].expression != "[*]":
        return False
    block_type = call.callee.type
    if block_type is None or getattr(block_type, "cls", None) is None:
        return False
    last = links[-1]
    attr = last.expression[1:] if last.expression.startswith(".") else None
    if attr is None or last.class_name is not None or last.maybe_module:
        return False
    return attr not in block_type.cls.method_names and not attr.startswith("__")


class BlockAttributeReadInLoop(Rule):
    """Forward-time read of a block's own plain attribute in the loop over a block list.

    ## What it does
    Flags reads such as `layer.attention_type` or `block.idx` in a forward that iterates a module
    list of blocks (`for layer in self.layers:`) and calls each element, when the attribute is a
    plain attribute of the block's class: neither a submodule nor a method. Off by default;
    enable it with `--select ZL007` where a block cache wraps your block lists.

    ## Why is this bad?
    A block cache (cache-dit and its kind) replaces the elements of the block list with wrapper
    modules during forward. The wrapper runs the block when called, but it has none of the
    block's own attributes, so `layer.attention_type` raises `AttributeError` exactly as the
    deep reads of ZL005 and the writes of ZL001 do.

    It is off by default because most block lists are never wrapped: on transformers, where
    decoder loops read `decoder_layer.attention_type` to pick a mask, it reports 24 reads and
    no block cache wraps those loops; on the diffusion models a block cache does wrap
    (diffusers, sglang's multimodal models) it reports almost nothing.

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x, masks):
            for layer in self.layers:
                x = layer(x, mask=masks[layer.attention_type])
            return x
    ```

    Use instead: keep what the parent needs beside the list (`self.layer_types[i]`), read it
    with `getattr(layer, "attention_type", default)`, or pass the value into the block and let
    the block choose.

    ## Fix
    There is no automatic fix. This rule is a warning.
    """

    code = "ZL007"
    name = "block-attribute-read-in-loop"
    claims = frozenset({"block-read"})
    # One attribute of an element of a block list: self.layers[*].idx.
    needs = Needs(read_depth=3)
    severity = "warning"
    default_enabled = False

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        from .zl005_wrapper_fragile_access import reads_before_block_calls

        for analysis, read, calls in reads_before_block_calls(ctx):
            calls = [c for c in calls if _block_list_attribute(read, c)]
            if not calls:
                continue
            block = ctx.code(calls[0].call.func)
            text = ctx.code(read.node)
            attr = read.value.links[-1].expression.lstrip(".")
            message = (
                f"`{analysis.cls.name}.{read.method}` reads `{text}` from block `{block}` of a block list it "
                f"iterates and calls; a block cache that wraps the list's elements has no `{attr}`: read it "
                f"with `getattr({block}, {attr!r}, default)` or pass the value into the block"
            )
            yield ctx.finding(
                self,
                read.node,
                message,
                chain=read.value.links,
                statement=read.statement,
                function=read.function,
                owner=analysis.cls.name,
            )

    invalid = (
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for block in self.blocks:
                        if block.layer_type == "full":  # expect: ZL007
                            x = x * 2
                        x = block(x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.Sequential(Block(0), Block(1))

                def forward(self, x, masks):
                    for block in self.blocks:
                        x = block(x, masks[block.idx])  # expect: ZL007
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for i, block in enumerate(self.blocks):
                        kind = block.layer_type  # expect: ZL007
                        x = block(x, kind=kind)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for block in reversed(self.blocks):
                        x = block(x, block.idx)  # expect: ZL007
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(4)])

                def forward(self, x):
                    for block in self.blocks[1:]:
                        x = block(x, offset=block.idx)  # expect: ZL007
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleDict({"a": Block(0), "b": Block(1)})

                def forward(self, x):
                    for block in self.blocks.values():
                        x = block(x, block.layer_type)  # expect: ZL007
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    return self._run(x)

                def _run(self, x):
                    for block in self.blocks:
                        x = block(x, block.idx)  # expect: ZL007
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx):
                    super().__init__()
                    self.idx = idx
                    self.attention_type = "full"
                    self.proj = nn.Linear(4, 4)

                def forward(self, x, mask=None):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([Block(i) for i in range(3)])

                def forward(self, x, masks):
                    for layer in self.layers:
                        x = layer(x, mask=masks[layer.attention_type])  # expect: ZL007
                    for i, block in enumerate(self.layers):
                        scale = block.idx  # expect: ZL007
                        x = block(x) * scale
                    return x
            """
        ),
    )

    valid = (
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for block in self.blocks:
                        # A submodule of the block is ZL005's (two levels) or no finding (one level).
                        x = block(x, block.proj.out_features)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for block in self.blocks:
                        if block.skip():
                            continue
                        x = block(x)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for block in self.blocks:
                        # Read but never called in forward: not a block the loop runs.
                        x = x + block.idx
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])
                    self.types = ["full", "sliding"]

                def forward(self, x):
                    for i, block in enumerate(self.blocks):
                        x = block(x, self.types[i])
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for block in self.blocks:
                        x = block(x, getattr(block, "layer_type", "full"))
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = Block(0)

                def forward(self, x):
                    # A single submodule, not an element of a block list.
                    return self.block(x, self.block.idx)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for block in self.blocks:
                        x = block(x)
                    return x

                def layer_types(self):
                    return [block.layer_type for block in self.blocks]
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([Block(i) for i in range(2)])

                def forward(self, x):
                    for block in self.blocks:
                        x = block(x, block.__class__.__name__)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

                def forward(self, x):
                    for block in self.blocks:
                        # torch layers: their attributes are zlint's to know, not a project block's.
                        x = block(x) * block.in_features
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self, idx=0):
                    super().__init__()
                    self.idx = idx
                    self.layer_type = "full"
                    self.proj = nn.Linear(4, 4)

                def skip(self):
                    return False

                def forward(self, x, *args, **kwargs):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self, blocks):
                    super().__init__()
                    self.blocks = blocks

                def forward(self, x):
                    for block in self.blocks:
                        x = block(x, block.idx)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attention_type = "full"
                    self.proj = nn.Linear(4, 4)

                def extra(self):
                    return 1

                def forward(self, x):
                    return self.proj(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([Block() for _ in range(3)])
                    self.layer_types = ["full"] * 3
                    self.head = Block()

                def forward(self, x, masks):
                    for i, layer in enumerate(self.layers):
                        kind = getattr(layer, "attention_type", "full")
                        x = layer(x) + layer.extra()  # a method: a wrapper forwarding calls has it
                        x = x * len(self.layer_types[i])
                    # Not an element of a block list.
                    if self.head.attention_type == "full":
                        x = self.head(x)
                    return x

                def describe(self):
                    # Not forward time.
                    return [layer.attention_type for layer in self.layers]
            """
        ),
        Valid(
            """
            import torch.nn as nn
            from vendor.blocks import VendorBlock

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([VendorBlock() for _ in range(3)])

                def forward(self, x):
                    for layer in self.layers:
                        # The block's class is out of sight: zlint cannot tell a plain attribute.
                        x = layer(x, kind=layer.attention_type)
                    return x
            """
        ),
    )
