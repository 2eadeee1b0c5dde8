"""A block cache in the manner of DBCache, as a wrapper that stands between the loop and a block.

``enable_cache(model, front=1, back=1, threshold=0.1)`` wraps every block of ``model.layers``.
Each forward computes the first ``front`` blocks; if the residual they add changed by less than
``threshold`` (relative L2, agreed over all ranks) since the previous step, the middle blocks are
skipped and their cached residual is added instead; the last ``back`` blocks always run. The
wrapper forwards ``*args, **kwargs``, so ``model.layers[i].attention`` is no longer reachable:
exactly what breaks code that reaches into blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.distributed as dist
import torch.nn as nn

from .distributed import all_reduce


@dataclass
class CacheState:
    front: int
    back: int
    count: int
    threshold: float
    hits: int = 0
    misses: int = 0
    step_input: Optional[torch.Tensor] = None
    previous_residual: Optional[torch.Tensor] = None
    middle_input: Optional[torch.Tensor] = None
    middle_residual: Optional[torch.Tensor] = None
    hit: bool = False
    world_group: Optional[object] = field(default=None, repr=False)


class CachedBlock(nn.Module):
    def __init__(self, block: nn.Module, index: int, state: CacheState):
        super().__init__()
        self.block = block
        self.index = index
        self.state = state

    def forward(self, x, *args, **kwargs):
        s = self.state
        middle = s.front <= self.index < s.count - s.back
        if self.index == 0:
            s.step_input = x
        if middle and s.hit:
            return x + s.middle_residual if self.index == s.front else x
        if middle and self.index == s.front:
            s.middle_input = x
        out = self.block(x, *args, **kwargs)
        if self.index == s.front - 1:
            s.hit = self._decide(out - s.step_input)
        if middle and self.index == s.count - s.back - 1:
            s.middle_residual = out - s.middle_input
        return out

    def _decide(self, residual: torch.Tensor) -> bool:
        s = self.state
        previous, s.previous_residual = s.previous_residual, residual.detach()
        if previous is None or s.middle_residual is None or s.threshold <= 0:
            s.misses += 1
            return False
        sums = torch.stack([((residual - previous) ** 2).sum(), (previous**2).sum()])
        if s.world_group is not None and dist.is_initialized():
            sums = all_reduce(sums, s.world_group)  # every rank takes the same decision
        hit = bool(sums[0].sqrt() < s.threshold * sums[1].sqrt())
        if hit:
            s.hits += 1
        else:
            s.misses += 1
        return hit


def enable_cache(model: nn.Module, front: int = 1, back: int = 1, threshold: float = 0.1, backend: str = "builtin"):
    """Wrap the blocks of ``model.layers`` in a block cache; returns an object with ``hits`` and
    ``misses``. ``backend="cache-dit"`` uses the ``cache-dit`` package (extra ``cache-dit``)."""
    if backend not in ("builtin", "cache-dit"):
        raise ValueError(f"unknown cache backend {backend!r}: use 'builtin' or 'cache-dit'")
    count = len(model.layers)
    if front < 1 or front + back > count:
        raise ValueError(f"front ({front}) + back ({back}) must leave blocks in the middle of {count}")
    if backend == "cache-dit":
        from .cache_dit_backend import enable_cache_dit

        return enable_cache_dit(model, front, back, threshold)
    sp = getattr(model, "sp", None)
    state = CacheState(front, back, count, threshold, world_group=sp.world_group if sp is not None else None)
    model.layers = nn.ModuleList([CachedBlock(block, i, state) for i, block in enumerate(model.layers)])
    return state
