"""ZL005: forward-time reads that reach deep into a block the forward then calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, Set

from zlint.findings import Finding
from zlint.rule import Invalid, Needs, Rule, Valid

if TYPE_CHECKING:
    from zlint.context import FileContext


def write_related_statements(analysis) -> Set[int]:
    """Reads that only serve a write another rule reports: aliases of write targets and values
    saved for a restore."""
    import libcst as cst

    names_by_function: Dict[int, Set[str]] = {}
    for write in analysis.writes:
        if isinstance(write.owner_expr, cst.Name):
            names_by_function.setdefault(id(write.function), set()).add(write.owner_expr.value)
    for toggle in analysis.toggles:
        if isinstance(toggle.restore.value, cst.Name):
            names_by_function.setdefault(id(toggle.restore.function), set()).add(toggle.restore.value.value)
    related: Set[int] = set()
    for read in analysis.reads:
        stmt = read.statement
        if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0].target, cst.Name):
            if stmt.targets[0].target.value in names_by_function.get(id(read.function), set()):
                related.add(id(read.node))
    return related


def _modules_between(links, block_links) -> int:
    """Modules, known or presumed, between the block and the attribute read; parameters,
    tensors, dtypes, devices and configuration objects do not count."""
    from zlint.evidence import link_is_module

    return sum(1 for link in links[len(block_links) : -1] if link_is_module(link))


def reads_before_block_calls(ctx):
    """``(analysis, read, calls)`` for each forward-time read through a submodule, with the calls
    of a block on the read's chain that run after it in the same function (ZL005 and ZL007)."""
    from zlint.analysis_data import is_prefix
    from zlint.trails import runs_after

    for analysis in ctx.analyses:
        skip = {id(w.owner_expr) for w in analysis.writes} | write_related_statements(analysis)
        for read in analysis.reads:
            if id(read.node) in skip or read.value.broadcast:
                continue
            calls = [
                c
                for c in analysis.calls
                if c.function is read.function
                and is_prefix(c.callee.links, read.value.links)
                and (c.trail == read.trail or runs_after(read.trail, c.trail))
            ]
            if calls:
                yield analysis, read, calls


class WrapperFragileSubmoduleAccess(Rule):
    """Forward-time read that reaches two or more levels into a block the forward then calls.

    ## What it does
    Flags reads such as `layer.attention.attn.some_attr` or `layer.attention.norm.weight` made
    during `forward` when `layer` is a submodule that the same forward then calls: the read passes
    through two or more objects inside the block. Reading the block's own attributes
    (`layer.scale`, `self.norm.weight.dtype`) is not flagged.

    ## Why is this bad?
    It is the other half of the serving incident that ZL001 describes: anything that wraps the
    block (a block cache, FSDP, a compiled or hooked module) keeps `layer(x)` working but makes
    `layer.attention` disappear, so the read raises `AttributeError` the moment a wrapper is
    enabled. It also ties the parent to the inner structure of its children.

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x):
            for layer in self.layers:
                if layer.attention.attn.skip_sequence_parallel:
                    x = gather(x)
                x = layer(x)
            return x
    ```

    Use instead: decide in the parent from its own inputs and pass the decision down as a forward
    argument, or let the block expose what the parent needs on the block itself (one level, which
    a wrapper can forward).

    ## Fix
    There is no automatic fix: the right interface depends on what the parent needs. This rule is
    a warning.
    """

    code = "ZL005"
    name = "wrapper-fragile-submodule-access"
    claims = frozenset({"deep-read"})
    # A read that passes the block (a link or more), two modules and the attribute read.
    needs = Needs(read_depth=4)
    severity = "warning"

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        for analysis, read, calls in reads_before_block_calls(ctx):
            # Two or more modules between the block and the attribute read from the last one.
            deep = [c for c in calls if _modules_between(read.value.links, c.callee.links) >= 2]
            if deep:
                block = ctx.code(deep[0].call.func)
                text = ctx.code(read.node)
                message = (
                    f"`{analysis.cls.name}.{read.method}` reads `{text}` inside block `{block}`, which it then calls; "
                    f"a wrapper around the block turns this into an AttributeError; pass the value as a forward "
                    f"argument or expose it on the block itself"
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

            class Attention(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attn = nn.Identity()

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attention = Attention()

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([Block()])

                def forward(self, x):
                    for layer in self.layers:
                        if layer.attention.attn.skip:  # expect: ZL005
                            x = x * 2
                        x = layer(x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Attention(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.norm = nn.LayerNorm(4)

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attention = Attention()

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = Block()

                def forward(self, x):
                    w = self.block.attention.norm.weight  # expect: ZL005
                    return self.block(x) * w
            """
        ),
        Invalid(
            """
            import torch.nn as nn
            from vendor.blocks import VendorBlock

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([VendorBlock()])

                def forward(self, x):
                    for i, layer in enumerate(self.layers):
                        x = layer(x, scale=layer.inner.attn.scale)  # expect: ZL005
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn
            from vendor.blocks import VendorBlock

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([VendorBlock()])

                def forward(self, x):
                    for i in range(len(self.layers)):
                        heads = self.layers[i].attention.attn.heads  # expect: ZL005
                        x = self.layers[i](x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn
            from vendor.blocks import VendorBlock

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = VendorBlock()

                def forward(self, x):
                    self.block.attn.processor.reset()  # expect: ZL005
                    return self.block(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn
            from vendor.blocks import VendorBlock

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.heads = nn.ModuleDict({"a": VendorBlock()})

                def forward(self, x):
                    for head in self.heads.values():
                        dim = head.proj.inner.out_features  # expect: ZL005
                        x = head(x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn
            from vendor.blocks import VendorBlock

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = VendorBlock()

                def forward(self, x):
                    return self._run(x)

                def _run(self, x):
                    eps = self.block.attention.norm.eps  # expect: ZL005
                    return self.block(x) + eps
            """
        ),
        Invalid(
            """
            import torch.nn as nn
            from vendor.blocks import VendorBlock

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = VendorBlock()

                def forward(self, x):
                    inner = self.block.attention
                    n = inner.attn.heads  # expect: ZL005
                    return self.block(x) * n
            """
        ),
    )

    valid = (
        Valid(
            """
            import torch.nn as nn
            from vendor.layers import ReplicatedLinear

            class MLP(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc_in = ReplicatedLinear(4, 4)

                def forward(self, x):
                    return self.fc_in(x)

            class TimestepEmbedder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.mlp = MLP()

                def forward(self, t):
                    # Parameters, dtypes and configuration objects are not modules: one module
                    # (fc_in) stands between the block and the read.
                    t = t.to(self.mlp.fc_in.weight.dtype)
                    w_dtype = self.mlp.fc_in.weight.dtype
                    size = w_dtype.itemsize
                    hidden = self.mlp.fc_in.config.hidden_size
                    return self.mlp(t) * size * hidden
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    scale = self.block.scale
                    return self.block(x) * scale
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.norm = nn.LayerNorm(4)

                def forward(self, x):
                    dtype = self.norm.weight.dtype
                    return self.norm(x).to(dtype) * self.norm.weight.sum()
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    x = self.block(x)
                    return x * self.block.attn.scale
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def describe(self):
                    return self.block.attn.heads

                def forward(self, x):
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)
                    self.heads = self.block.attn.heads

                def forward(self, x):
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x, flag):
                    for layer in self.layers:
                        layer.attention.attn.flag = flag  # expect: ZL001
                        x = layer(x)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x, flag):
                    for layer in self.layers:
                        attn = layer.attention.attn
                        attn.flag = flag  # expect: ZL001
                        x = layer(x)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x, flag):
                    for layer in self.layers:
                        old = layer.attn.flag
                        layer.attn.flag = flag  # expect: ZL004
                        try:
                            x = layer(x)
                        finally:
                            layer.attn.flag = old
                    return x
            """
        ),
        Valid(
            """
            class Plain:
                def forward(self, block, x):
                    n = block.attention.attn.heads
                    return block(x) * n
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)
                    self.other = nn.Linear(4, 4)

                def forward(self, x):
                    n = self.other.attn.heads
                    return self.block(x) * n
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    setattr(self.block.attn, "flag", True)  # expect: ZL002
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    n = self.block.attn.heads  # zlint: ignore[ZL005]
                    return self.block(x) * n
            """
        ),
    )
