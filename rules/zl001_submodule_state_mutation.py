"""ZL001: forward-time attribute writes on nested submodules."""

from __future__ import annotations

from typing import Iterable

from lint.findings import Finding
from lint.rule import FileContext, Invalid, Rule, Valid

_KIND_VERB = {"assign": "sets", "augassign": "updates", "annassign": "sets", "delete": "deletes"}


class SubmoduleStateMutationInForward(Rule):
    """Forward-time write to an attribute of a submodule, or of anything reached through one.

    ## What it does
    Flags attribute assignments (`=`, `+=` and the other augmented forms, annotated assignments)
    and `del` statements that run during `forward` (in `forward` itself, in functions nested in it,
    and in methods of the same class that `forward` reaches through `self.method(...)`) and whose
    target belongs to a submodule of the module: `self.block.flag = v`, `layer.attention.attn.flag
    = v` inside `for layer in self.layers`, `self.layers[i].flag = v`, aliases such as
    `attn = layer.attention.attn; attn.flag = v`, and the modules yielded by `self.modules()` or
    `self.children()`. zlint resolves the classes along the chain across files and shows them.

    ## Why is this bad?
    The parent reaches past its child's interface and changes state that the child reads later.
    That is action at a distance, and it breaks as soon as anything stands between the parent and
    the block: a caching wrapper (the block is wrapped, so `layer.attention` no longer exists and
    the write raises `AttributeError`), FSDP or forward hooks, `torch.compile` (the write becomes
    a guard and a recompilation), activation checkpointing (the recomputation sees a later value),
    and concurrent requests sharing one module instance.

    ## Example
    ```python
    class ZImageModel(nn.Module):
        def forward(self, x, use_full_unified_sequence):
            for layer in self.layers:
                layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence
                x = layer(x)
            return x
    ```

    Use instead:
    ```python
    class ZImageModel(nn.Module):
        def forward(self, x, use_full_unified_sequence):
            for layer in self.layers:
                x = layer(x, skip_sequence_parallel_override=use_full_unified_sequence)
            return x
    ```
    and let each forward on the path take `skip_sequence_parallel_override=None` and pass it on,
    with the leaf reading the argument when it is given instead of its attribute.

    ## Fix
    `zlint fix` threads the value as a keyword argument through every forward on the call path
    from the parent down to the owner of the attribute, across classes and files. Writes that are
    not followed by a call of the block, or whose classes cannot be resolved, are reported
    without a fix and say why.

    ## Not flagged
    The same writes in `__init__` or in methods that `forward` does not reach (`load_weights`,
    `set_*`, `enable_*`); `self.attr = v` on the module itself; attributes of plain local objects;
    in-place tensor updates such as `layer.cache[...] = t` or `layer.buf.copy_(t)`; classes that
    are not modules.
    """

    code = "ZL001"
    name = "submodule-state-mutation-in-forward"
    fixable = True

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        for analysis in ctx.analyses:
            for write in analysis.writes:
                owner_text = ctx.module.code_for_node(write.target.value)
                owner_class = write.owner.links[-1].class_name if write.owner.links else None
                where = f" ({owner_class}.{write.attr})" if owner_class else ""
                verb = _KIND_VERB[write.kind]
                message = (
                    f"`{analysis.cls.name}.{write.method}` {verb} `{write.attr}` on submodule "
                    f"`{owner_text}`{where} at forward time"
                )
                yield ctx.finding(
                    self,
                    write.target,
                    message,
                    chain=write.owner.links,
                    statement=write.statement,
                )

    valid = ()
    invalid = ()
