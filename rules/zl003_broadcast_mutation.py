"""ZL003: forward-time writes on every module of a subtree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from zlint.findings import Finding
from zlint.indirect import indirect_finding, written_object
from zlint.rule import FORWARD_METHOD, WRITE_TEXT, Invalid, Needs, Rule, Valid

if TYPE_CHECKING:
    from zlint.context import FileContext


class BroadcastMutationInForward(Rule):
    """Forward-time write on every module yielded by `modules()`, `children()` or `apply(fn)`.

    ## What it does
    Flags attribute writes (plain, `setattr` or `__dict__`) made during `forward` on the modules
    that `self.modules()`, `self.named_modules()`, `self.children()` or `self.named_children()`
    yield, usually narrowed with `isinstance`, and writes made by a function passed to
    `self.apply(fn)` at forward time.

    ## Why is this bad?
    It mutates state in every matching module of the tree at each call: a block cache or FSDP
    wrapper changes which modules the walk reaches, `torch.compile` sees a write on each of them,
    checkpoint recomputation observes whatever value the last call left, and concurrent requests
    sharing the model race on the flag. The walk also costs a traversal of the whole tree on
    every forward.

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x, full):
            for m in self.modules():
                if isinstance(m, USPAttention):
                    m.skip_sequence_parallel = full
            for layer in self.layers:
                x = layer(x)
            return x
    ```

    Use instead: pass `skip_sequence_parallel_override=full` to each block and thread it down to
    `USPAttention`, as for ZL001.

    ## Fix
    When the loop does nothing but set one attribute on one resolved class (narrowed with
    `isinstance`), and every path from this module to that class is resolved and called after
    the loop, `zlint fix` removes the loop and threads the value down every path with the same
    machinery as ZL001. Otherwise the finding says why it has no fix.
    """

    code = "ZL003"
    name = "broadcast-mutation-in-forward"
    claims = frozenset({"broadcast"})
    # A write on each module of a loop or an apply() over submodules of self.
    needs = Needs(text=((FORWARD_METHOD,), WRITE_TEXT), writes=True)
    fixable = True

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        for analysis in ctx.analyses:
            for write in analysis.writes_of(self.claims):
                owner_text = ctx.code(write.owner_expr)
                name = f"`{write.attr}`" if write.attr else "a computed attribute"
                source = write.owner.links[0].expression
                narrowed = write.owner.links[-1].class_name
                which = f" (every {narrowed})" if narrowed else ""
                message = (
                    f"`{analysis.cls.name}.{write.method}` sets {name} on `{owner_text}` for each module "
                    f"from `{source}`{which} at forward time"
                )
                yield ctx.write_finding(
                    self, analysis, write, message, fix=ctx.planner.plan_broadcast(analysis.cls, write)
                )
            for indirect in analysis.indirect_writes:
                if not indirect.owner.broadcast:
                    continue
                name = f"`{indirect.attr}`" if indirect.attr else "a computed attribute"
                what = f"sets {name} on every module below `{written_object(ctx, indirect)}`"
                yield indirect_finding(ctx, self, analysis, indirect, what)

    invalid = (
        Invalid(
            """
            import torch.nn as nn

            class CausalConv(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.cache_offset = 0

                def forward(self, x):
                    return x

            class Decoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.up = nn.ModuleList([CausalConv(), CausalConv()])
                    self.conv_out = CausalConv()

                def forward(self, z):
                    for block in self.up:
                        z = block(z)
                    return self.conv_out(z)

            class Autoencoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.decoder = Decoder()

                # A list of submodules handed to a helper that writes on every module below them.
                def _set_cache_offset(self, modules, cache_offset=0):
                    for module in modules:
                        for submodule in module.modules():
                            if hasattr(submodule, "cache_offset"):
                                submodule.cache_offset = cache_offset  # expect: ZL003

                def tiled_decode(self, z):
                    self._set_cache_offset([self.decoder], 1)
                    self._set_cache_offset([self.decoder.up[1], self.decoder.conv_out], 2)
                    return self.decoder(z)

                def forward(self, z):
                    return self.tiled_decode(z)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    for m in self.modules():
                        m.flag = flag  # expect: ZL003
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Attn(nn.Module):
                def forward(self, x):
                    return x if self.full else -x

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attn = Attn()

                def forward(self, x, full):
                    for m in self.modules():
                        if isinstance(m, Attn):
                            m.full = full  # expect: ZL003
                    return self.attn(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    for name, m in self.named_modules():
                        m.flag = flag  # expect: ZL003
                    for child in self.children():
                        child.flag = flag  # expect: ZL003
                    for name, child in self.named_children():
                        child.flag = flag  # expect: ZL003
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    for m in self.modules():
                        setattr(m, "flag", flag)  # expect: ZL003
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    self.apply(lambda m: setattr(m, "flag", flag))  # expect: ZL003
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    def set_flag(module):
                        module.flag = flag  # expect: ZL003
                    self.apply(set_flag)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.apply(self._reset)
                    return x

                def _reset(self, module):
                    module.calls = 0  # expect: ZL003
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.encoder = nn.Linear(4, 4)

                def forward(self, x, flag):
                    for m in self.encoder.modules():
                        m.flag = flag  # expect: ZL003
                    return self.encoder(x)
            """
        ),
    )

    valid = (
        Valid(
            """
            import torch.nn as nn

            class Autoencoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.decoder = nn.Sequential(nn.Linear(4, 4))

                def _set_cache_offset(self, modules, cache_offset=0):
                    for module in modules:
                        for submodule in module.modules():
                            submodule.cache_offset = cache_offset

                def enable_tiling(self):
                    self._set_cache_offset([self.decoder], 1)  # set up once, not at forward time

                def forward(self, z):
                    return self.decoder(z)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    for m in self.modules():
                        m.flag = False
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def set_flag(self, flag):
                    for m in self.modules():
                        m.flag = flag

                def forward(self, x):
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    count = 0
                    for m in self.modules():
                        count += 1
                    return x * count
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    flags = [getattr(m, "flag", False) for m in self.modules()]
                    return x if any(flags) else -x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    for m in self.modules():
                        m.weight.data.zero_()
                        m.cache[0] = x
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            def reset(model):
                for m in model.modules():
                    m.flag = False

            class Model(nn.Module):
                def forward(self, x):
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.apply(self._init_weights)

                def _init_weights(self, module):
                    module.initialised = True

                def forward(self, x):
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, others):
                    for m in others:
                        m.flag = True
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
                        layer.flag = flag  # expect: ZL001
                    return x
            """
        ),
        Valid(
            """
            class Walker:
                def forward(self, model):
                    for m in model.modules():
                        m.flag = True
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.apply(print)
                    names = [name for name, _ in self.named_modules()]
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    for m in self.modules():
                        m.flag = flag  # zlint: ignore[ZL003]
                    return x
            """
        ),
    )
