"""ZL002: forward-time ``setattr`` (and friends) on nested submodules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from zlint.findings import Finding
from zlint.indirect import indirect_finding, written_object
from zlint.rule import FORWARD_METHOD, WRITE_TEXT, Invalid, Needs, Rule, Valid

if TYPE_CHECKING:
    from zlint.context import FileContext

_SPELLING = {
    "setattr": "`setattr`",
    "object.__setattr__": "`object.__setattr__`",
    "__dict__": "a `__dict__` write",
    "vars": "a `vars()` write",
}


class SetattrOnSubmoduleInForward(Rule):
    """Forward-time `setattr` (or `__dict__`/`vars()` write) on a submodule.

    ## What it does
    Flags `setattr(sub, "name", v)`, `object.__setattr__(sub, "name", v)`,
    `sub.__dict__["name"] = v` and `vars(sub)["name"] = v` that run during `forward` when `sub` is
    a submodule or anything reached through one: the same forward-time mutation as ZL001, spelled
    so that a plain attribute search does not find it.

    ## Why is this bad?
    The parent changes state that a nested block reads later. A wrapper between the parent and the
    block (a block cache, FSDP, hooks) makes the target a different object, `torch.compile` turns
    the write into a guard, checkpointing recomputes with a later value, and concurrent requests
    on one module see each other's settings. `object.__setattr__` and `__dict__` writes also skip
    `nn.Module.__setattr__`, so a module or parameter stored that way is not registered.

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x, full):
            for layer in self.layers:
                setattr(layer.attn, "skip_sequence_parallel", full)
                x = layer(x)
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
    When the attribute name is a string literal, `zlint fix` threads the value as a keyword
    argument exactly as for ZL001 (the same machinery). A computed name cannot be threaded and
    is reported without a fix.
    """

    code = "ZL002"
    name = "setattr-on-submodule-in-forward"
    claims = frozenset({"setattr"})
    # setattr on a submodule (a value derived from self), in forward or what it reaches.
    needs = Needs(text=((FORWARD_METHOD,), WRITE_TEXT), writes=True)
    fixable = True

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        for analysis in ctx.analyses:
            for write in analysis.writes_of(self.claims):
                owner_text = ctx.code(write.owner_expr)
                name = f"`{write.attr}`" if write.attr else "a computed attribute"
                message = (
                    f"`{analysis.cls.name}.{write.method}` sets {name} on submodule `{owner_text}` "
                    f"with {_SPELLING[write.form]} at forward time"
                )
                yield ctx.write_finding(self, analysis, write, message, fix=ctx.planner.plan(analysis.cls, write))
            for indirect in analysis.indirect_writes_of(self.claims):
                name = f"`{indirect.attr}`" if indirect.attr else "a computed attribute"
                what = f"sets {name} on submodule `{written_object(ctx, indirect)}` with {_SPELLING[indirect.form]}"
                yield indirect_finding(ctx, self, analysis, indirect, what)

    invalid = (
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

                def forward(self, x, flag):
                    set_flag = lambda m: setattr(m, "flag", flag)  # expect: ZL002
                    set_flag(self.block)
                    list(map(lambda m: setattr(m, "mode", flag), self.layers))  # expect: ZL002
                    return self.block(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, settings):
                    self.block.__dict__.update(settings)  # expect: ZL002
                    vars(self.block).update(mode="fast")  # expect: ZL002
                    return self.block(x)
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
                    setattr(self.block, "flag", flag)  # expect: ZL002
                    return self.block(x)
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
                    object.__setattr__(self.block, "flag", flag)  # expect: ZL002
                    return self.block(x)
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
                    self.block.__dict__["flag"] = flag  # expect: ZL002
                    vars(self.block)["mode"] = "fast"  # expect: ZL002
                    return self.block(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

                def forward(self, x, name, value):
                    for layer in self.layers:
                        setattr(layer, name, value)  # expect: ZL002
                        x = layer(x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

                def forward(self, x, flag):
                    for i, layer in enumerate(self.layers):
                        attn = layer
                        setattr(attn, "flag", flag)  # expect: ZL002
                    [setattr(layer, "seen", True) for layer in self.layers]  # expect: ZL002
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.heads = nn.ModuleDict({"a": nn.Linear(4, 4)})

                def forward(self, x, scale):
                    for name, head in self.heads.items():
                        setattr(head, "scale", scale)  # expect: ZL002
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
                    self._configure(flag)
                    return self.block(x)

                def _configure(self, flag):
                    setattr(self.block, "flag", flag)  # expect: ZL002
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
                    ok = setattr(self.layers[0], "flag", flag)  # expect: ZL002
                    def inner():
                        setattr(self.layers[0], "other", 1)  # expect: ZL002
                    inner()
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

                def forward(self, x, flag, options):
                    remember = lambda o: setattr(o, "flag", flag)
                    remember(options)  # a plain object, not a module
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
                    setattr(self.block, "flag", False)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def set_flag(self, value):
                    setattr(self.block, "flag", value)

                def forward(self, x):
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    setattr(self, "flag", flag)
                    object.__setattr__(self, "mode", "fast")
                    self.__dict__["cache"] = None
                    return x
            """
        ),
        Valid(
            """
            import types
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    state = types.SimpleNamespace()
                    setattr(state, "step", 1)
                    vars(state)["other"] = 2
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

                def forward(self, x):
                    flag = getattr(self.block, "flag", False)
                    has = hasattr(self.block, "flag")
                    return x if flag and has else -x
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
                    self.block.flag = True  # expect: ZL001
                    return x
            """
        ),
        Valid(
            """
            class Plain:
                def __init__(self, block):
                    self.block = block

                def forward(self, x):
                    setattr(self.block, "flag", True)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, others):
                    for other in others:
                        setattr(other, "flag", True)
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

                def forward(self, x):
                    for m in self.modules():
                        setattr(m, "flag", True)  # expect: ZL003
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

                def forward(self, x):
                    out = self.block(x)
                    setattr(out, "tag", "block")
                    return out
            """
        ),
        Valid(
            """
            import torch.nn as nn

            def configure(model, flag):
                setattr(model.block, "flag", flag)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

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

                def forward(self, x):
                    setattr(self.block, "flag", True)  # zlint: ignore[ZL002]
                    self.block.__dict__["x"] = 1  # noqa: ZL002
                    return x
            """
        ),
    )
