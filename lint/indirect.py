"""Findings for writes that forward makes through code it calls: a submodule's method
(``layer.set_skip(v)``) or a property setter of the module (``self.skip = v``).

The write itself is in the called method, often in another file; the finding points at the call
or the assignment in forward, names the method and shows the chain down to the written object.
Such writes have no fix: the value has to reach the block as a forward argument, and the method
may have other callers that still need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .findings import Finding

if TYPE_CHECKING:
    from .context import FileContext
    from .analysis_data import ClassAnalysis, IndirectWrite
    from .rule import Rule


def written_object(ctx: "FileContext", write: "IndirectWrite") -> str:
    """The written object as forward would spell it: ``layer`` + ``.attention.attn``."""
    import libcst as cst  # here, not at import: listing rules must not load LibCST

    node = write.node
    base = node.func.value if isinstance(node, cst.Call) else node.value  # type: ignore[attr-defined]  # call or attribute
    receiver = write.receiver[4:] if write.receiver.startswith("self") else write.receiver
    return ctx.code(base) + receiver


def indirect_finding(
    ctx: "FileContext", rule: "Rule", analysis: "ClassAnalysis", write: "IndirectWrite", what: str
) -> Finding:
    """``what`` says what is written and where, e.g. "sets `skip` on submodule `layer.attention`"."""
    from .fix.plan import FixVerdict

    message = f"`{analysis.cls.name}.{write.method}` {what} through `{write.via}` at forward time"
    verdict = FixVerdict(
        None,
        False,
        f"no fix: the write is made by `{write.via}`; pass the value to the block's forward instead of calling it",
    )
    return ctx.finding(
        rule,
        write.node,
        message,
        chain=write.owner.links,
        statement=write.statement,
        function=write.function,
        owner=analysis.cls.name,
        fix=verdict,
    )
