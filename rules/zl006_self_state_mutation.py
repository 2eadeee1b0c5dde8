"""ZL006: forward writes state on its own module that other code reads later (opt in)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, Set

from zlint.findings import Finding
from zlint.rule import FORWARD_METHOD, WRITE_TEXT, Invalid, Needs, Rule, Valid

if TYPE_CHECKING:
    from zlint.context import FileContext


def _reads_by_method(cls) -> Dict[str, Set[str]]:
    """Attribute names each method of the class reads as ``self.<name>``."""
    import libcst as cst

    from zlint.cst_util import child_nodes, first_param_name, self_attribute

    reads: Dict[str, Set[str]] = {}
    for name, func in cls.methods.items():
        self_name = first_param_name(func)
        targets: Set[int] = set()
        found: Set[str] = set()
        stack = [func.body]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Assign):
                targets.update(id(t.target) for t in node.targets)
            elif isinstance(node, (cst.AnnAssign,)):
                targets.add(id(node.target))
            elif isinstance(node, cst.Attribute) and id(node) not in targets:
                attr = self_attribute(node, self_name)
                if attr is not None:
                    found.add(attr)
            stack.extend(child_nodes(node))
        reads[name] = found
    return reads


def _guarded_attribute(test, self_name):
    """The ``x`` of a lazy-initialisation test: ``self.x is None``, ``not self.x``,
    ``not hasattr(self, "x")`` or ``getattr(self, "x", None) is None``."""
    import libcst as cst

    from zlint.cst_util import dotted_name, self_attribute, string_literal

    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if (
            isinstance(target.operator, cst.Is)
            and isinstance(target.comparator, cst.Name)
            and target.comparator.value == "None"
        ):
            left = test.left
            if isinstance(left, cst.Call) and dotted_name(left.func) == "getattr" and len(left.args) >= 2:
                if isinstance(left.args[0].value, cst.Name) and left.args[0].value.value == self_name:
                    return string_literal(left.args[1].value)
                return None
            return self_attribute(left, self_name)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        if isinstance(inner, cst.Call) and dotted_name(inner.func) == "hasattr" and len(inner.args) == 2:
            if isinstance(inner.args[0].value, cst.Name) and inner.args[0].value.value == self_name:
                return string_literal(inner.args[1].value)
            return None
        return self_attribute(inner, self_name)
    return None


def _lazy_initialisations(func) -> Set[int]:
    """Statements of the idiom ``if self._x is None: self._x = build()``: a cache filled once,
    on first use, and never changed by later calls."""
    import libcst as cst

    from zlint.cst_util import child_nodes, first_param_name, iter_statements, self_attribute

    self_name = first_param_name(func)
    found: Set[int] = set()
    stack = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.If) and node.orelse is None:
            guarded = _guarded_attribute(node.test, self_name)
            if guarded is not None:
                for stmt in iter_statements(node.body):
                    if isinstance(stmt, (cst.Assign, cst.AnnAssign)):
                        targets = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
                        if any(self_attribute(t, self_name) == guarded for t in targets):
                            found.add(id(stmt))
        stack.extend(child_nodes(node))
    return found


class SelfStateMutationInForward(Rule):
    """Forward-time write to an attribute of the module itself that other methods read later.

    ## What it does
    Flags `self.attr = v` (and augmented or annotated forms) made during `forward` when another
    method of the same class reads `self.attr`: state carried from one call to the next, or from
    `forward` to whoever looks at the module afterwards. Off by default; enable it with
    `--select ZL006` or `extend-select = ["ZL006"]`.

    ## Why is this bad?
    A forward that writes state that outlives the call is not a function of its inputs.
    Activation checkpointing runs the forward again during backward, so the state is written
    twice and the recomputation may read a value from a later step; `torch.compile` must guard
    on the attribute and recompiles when it changes, or graph-breaks on the write; concurrent
    requests on one module overwrite each other's state.

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x):
            self.last_shape = x.shape
            return self.proj(x)

        def extra_repr(self):
            return f"last_shape={self.last_shape}"
    ```

    Use instead: return the value (or keep it in a cache object the caller owns and passes in).

    ## Fix
    There is no automatic fix: where the state should live depends on who reads it.
    """

    code = "ZL006"
    name = "self-state-mutation-in-forward"
    claims = frozenset({"self-write"})
    # An attribute of self written in forward or what it reaches.
    needs = Needs(text=((FORWARD_METHOD,), WRITE_TEXT), self_writes=True)
    default_enabled = False

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        for analysis in ctx.analyses:
            if not analysis.self_writes:
                continue
            reads = _reads_by_method(analysis.cls)
            lazy: Dict[int, Set[int]] = {}
            for write in analysis.self_writes:
                if write.kind == "delete":
                    continue
                if id(write.function) not in lazy:
                    lazy[id(write.function)] = _lazy_initialisations(write.function)
                if id(write.statement) in lazy[id(write.function)]:
                    continue  # a lazily built cache: filled once, the same for every later call
                readers = sorted(
                    m for m, names in reads.items() if write.attr in names and m not in (write.method, "__init__")
                )
                if not readers:
                    continue
                message = (
                    f"`{analysis.cls.name}.{write.method}` stores `self.{write.attr}` at forward time and "
                    f"`{analysis.cls.name}.{readers[0]}` reads it later"
                )
                yield ctx.finding(
                    self,
                    write.target,
                    message,
                    statement=write.statement,
                    function=write.function,
                    owner=analysis.cls.name,
                )

    # A value computed once on first use (``if self._x is None: self._x = build()``) is not
    # flagged: later calls do not change it, so it is not state carried between calls. A cache
    # that a later call refills (keyed by shape, say) is still flagged.
    invalid = tuple(
        Invalid(code)
        for code in (
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    if self._cache is None or self._cache.shape != x.shape:
                        self._cache = x.clone()  # expect: ZL006
                    if self._seen is None:
                        self._seen = 0  # expect: ZL006
                    else:
                        self._seen = 1  # expect: ZL006
                    return x

                def extra_repr(self):
                    return f"{self._cache} {self._seen}"
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.last_shape = x.shape  # expect: ZL006
                    return x

                def extra_repr(self):
                    return f"last_shape={self.last_shape}"
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.calls += 1  # expect: ZL006
                    return x

                def stats(self):
                    return self.calls
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.cache: object = x  # expect: ZL006
                    return self._use()

                def _use(self):
                    return self.cache
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, step):
                    self._remember(step)
                    return x

                def _remember(self, step):
                    self.step = step  # expect: ZL006

                def schedule(self):
                    return self.step * 2
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    def keep():
                        self.kept = x  # expect: ZL006
                    keep()
                    return x

                def peek(self):
                    return self.kept
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    for i in range(3):
                        self.index = i  # expect: ZL006
                    return x

                def where(self):
                    return self.index
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.block = nn.Identity()  # expect: ZL006
                    return x

                def inner(self):
                    return self.block
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    if x is None:
                        self.mode = "empty"  # expect: ZL006
                    else:
                        self.mode = "full"  # expect: ZL006
                    return x

                def describe(self):
                    return self.mode
            """,
        )
    )

    valid = tuple(
        Valid(code)
        for code in (
            """
            import torch.nn as nn

            class Model(nn.Module):
                def _build(self):
                    return {}

                def forward(self, x):
                    if self._rope is None:
                        self._rope = self._build()
                    if not hasattr(self, "_mask"):
                        self._mask = x.new_ones(4)
                    if getattr(self, "_table", None) is None:
                        self._table = [1, 2]
                    return x * self._mask

                def extra_repr(self):
                    return f"{self._rope} {self._mask} {self._table}"
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = 1.0

                def forward(self, x):
                    return x * self.scale
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.tmp = x
                    return self.tmp * 2
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def set_scale(self, scale):
                    self.scale = scale

                def forward(self, x):
                    return x * self.scale
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.seen = True
                    return x
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.buf.add_(1)
                    self.cache[0] = x
                    return x

                def peek(self):
                    return self.buf, self.cache
            """,
            """
            class Plain:
                def forward(self, x):
                    self.last = x
                    return x

                def peek(self):
                    return self.last
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def reset(self):
                    self.step = 0

                def forward(self, x):
                    return x
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    del self.temp
                    return x

                def make(self):
                    return self.temp
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    local = x
                    local.tag = "x"
                    return local
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.count = 0
                    self.count += 1

                def forward(self, x):
                    return x
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.last = x  # zlint: ignore[ZL006]
                    return x

                def peek(self):
                    return self.last
            """,
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    self.block.flag = True  # expect: ZL001
                    return self.block(x)

                def peek(self):
                    return self.block
            """,
        )
    )
