"""ZL004: set-then-restore of submodule state around a call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from zlint.findings import Finding
from zlint.rule import FORWARD_METHOD, WRITE_TEXT, Invalid, Needs, Rule, Valid

if TYPE_CHECKING:
    from zlint.context import FileContext


class ToggleSubmoduleState(Rule):
    """Forward-time set-then-restore of a submodule attribute around a call of the block.

    ## What it does
    Flags a submodule attribute that `forward` sets, then calls the block, then sets back: in
    sequence (`set; call; reset`), around the call with `try`/`finally`, or by entering a project
    context manager that sets and restores attributes on a module it is given. A toggle is one
    finding, at the first write; the restore is not reported again.

    ## Why is this bad?
    Restoring the value makes the mutation look contained, but it is still action at a distance:
    while the call runs, any other request sharing the module sees the toggled value; activation
    checkpointing recomputes the block after the restore, with the old value; a wrapper around the
    block makes the target a different object; and `torch.compile` guards on both writes.

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x, full):
            for layer in self.layers:
                old = layer.attn.skip_sequence_parallel
                layer.attn.skip_sequence_parallel = full
                try:
                    x = layer(x)
                finally:
                    layer.attn.skip_sequence_parallel = old
            return x
    ```

    Use instead:
    ```python
    class Model(nn.Module):
        def forward(self, x, full):
            for layer in self.layers:
                x = layer(x, skip_sequence_parallel_override=full)
            return x
    ```

    ## Fix
    `zlint fix` threads the set value as a keyword argument (the ZL001 machinery) and removes both
    halves: the write, the restore, a saved copy used only by the restore, and a `finally` clause
    left empty (unwrapping the `try` when nothing else remains). Context-manager toggles are
    reported without a fix.
    """

    code = "ZL004"
    name = "toggle-submodule-state"
    claims = frozenset({"toggle"})
    # A set-and-restore of a submodule's attribute, or a context manager handed a submodule.
    needs = Needs(text=((FORWARD_METHOD,), WRITE_TEXT), writes=True)
    fixable = True

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        for analysis in ctx.analyses:
            for toggle in analysis.toggles:
                write = toggle.first
                owner_text = ctx.code(write.owner_expr)
                how = "try/finally" if toggle.try_statement is not None else "set and reset"
                message = (
                    f"`{analysis.cls.name}.{write.method}` toggles `{write.attr}` on submodule `{owner_text}` "
                    f"around a call ({how}) at forward time"
                )
                yield ctx.finding(
                    self,
                    write.target,
                    message,
                    chain=write.owner.links,
                    statement=write.statement,
                    fix=ctx.planner.plan_toggle(analysis.cls, toggle),
                    function=write.function,
                    owner=analysis.cls.name,
                )
            for entered in analysis.context_toggles:
                attrs = ", ".join(f"`{a}`" for a in entered.attrs)
                message = (
                    f"`{analysis.cls.name}.{entered.method}` enters `{entered.manager}`, which sets and restores "
                    f"{attrs} on a module, at forward time"
                )
                yield ctx.finding(
                    self,
                    entered.item,
                    message,
                    statement=entered.item,
                    function=analysis.cls.methods.get(entered.method),
                    owner=analysis.cls.name,
                )

    invalid = (
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    self.block.flag = flag  # expect: ZL004
                    x = self.block(x)
                    self.block.flag = False
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x, flag):
                    for layer in self.layers:
                        old = layer.flag
                        layer.flag = flag  # expect: ZL004
                        try:
                            x = layer(x)
                        finally:
                            layer.flag = old
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    try:
                        self.block.flag = flag  # expect: ZL004
                        x = self.block(x)
                    finally:
                        self.block.flag = False
                    return x
            """
        ),
        Invalid(
            """
            import contextlib
            import torch.nn as nn

            @contextlib.contextmanager
            def full_sequence(module):
                old = module.skip
                module.skip = True
                try:
                    yield
                finally:
                    module.skip = old

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    with full_sequence(self.block):  # expect: ZL004
                        return self.block(x)
            """
        ),
        Invalid(
            """
            from contextlib import contextmanager
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                @contextmanager
                def _precise(self, block):
                    block.precise = True
                    yield
                    block.precise = False

                def forward(self, x):
                    with self._precise(self.block):  # expect: ZL004
                        x = self.block(x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, scale):
                    attn = self.block
                    attn.scale = scale  # expect: ZL004
                    y = attn(x)
                    attn.scale = 1.0
                    return y
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x, flags):
                    for i, layer in enumerate(self.layers):
                        layer.flag = flags[i]  # expect: ZL004
                        x = layer(x)
                        layer.flag = None
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    self.block.flag = flag  # expect: ZL004
                    try:
                        x = self.block(x)
                    except RuntimeError:
                        x = x * 0
                    finally:
                        self.block.flag = False
                    return x
            """
        ),
    )

    valid = (
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    self.block.flag = flag  # expect: ZL001
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

                def forward(self, x, flag):
                    self.block.flag = flag  # expect: ZL001
                    self.block.flag = False  # expect: ZL001
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a = nn.Linear(4, 4)
                    self.b = nn.Linear(4, 4)

                def forward(self, x, flag):
                    self.a.flag = flag  # expect: ZL001
                    x = self.b(x)
                    self.b.flag = False  # expect: ZL001
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def run_with(self, x, flag):
                    self.block.flag = flag
                    x = self.block(x)
                    self.block.flag = False
                    return x

                def forward(self, x):
                    return self.block(x)
            """
        ),
        Valid(
            """
            import contextlib
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    with contextlib.suppress(ValueError):
                        x = self.block(x)
                    return x
            """
        ),
        Valid(
            """
            import contextlib
            import torch.nn as nn

            @contextlib.contextmanager
            def timer(name):
                yield

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    with timer("block"):
                        return self.block(x)
            """
        ),
        Valid(
            """
            import contextlib
            import torch.nn as nn

            @contextlib.contextmanager
            def full_sequence(module):
                module.skip = True
                yield
                module.skip = False

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def generate(self, x):
                    with full_sequence(self.block):
                        return self.block(x)

                def forward(self, x):
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    old = self.flag
                    self.flag = flag
                    try:
                        return x * 2
                    finally:
                        self.flag = old
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
                    self.block.calls += 1  # expect: ZL001
                    x = self.block(x)
                    self.block.calls -= 1  # expect: ZL001
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    if flag:
                        self.block.flag = True  # expect: ZL001
                    x = self.block(x)
                    return x
            """
        ),
        Valid(
            """
            class Plain:
                def forward(self, block, x):
                    block.flag = True
                    x = block(x)
                    block.flag = False
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    self.block.flag = flag  # zlint: ignore[ZL004]
                    x = self.block(x)
                    self.block.flag = False
                    return x
            """
        ),
    )
