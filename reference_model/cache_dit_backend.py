"""The block cache from the ``cache-dit`` package (extra ``cache-dit``), wrapped around this model.

``cache-dit`` 1.5.3 wraps a custom module on CPU. What it needed here:

- ``BlockAdapter(transformer=model, blocks=model.layers, forward_pattern=ForwardPattern.Pattern_3)``:
  the blocks take the hidden states first and return only the hidden states.
- ``check_forward_pattern=False``: its pattern check looks for a forward parameter spelled
  ``hidden_states``; the blocks here call it ``x``. Nothing else in the check applies.
- ``max_warmup_steps`` below the number of denoising steps (its default is 8), or it never caches.

While the model runs, ``cache-dit`` replaces the block loop's list with one
``CachedBlocks_Pattern_3_4_5`` module that calls the blocks itself, so ``layer.attention`` is not
reachable from the loop: the legacy form fails with the incident's ``AttributeError``. Its
decision (mean absolute change of the first blocks' residual) is averaged over all ranks when
``torch.distributed`` is initialised, so every rank takes the same branch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch.nn as nn


@dataclass
class CacheDitState:
    """Hit and miss counters read from ``cache_dit.summary`` for the blocks' cache context."""

    model: nn.Module

    def _stats(self):
        import cache_dit

        stats = cache_dit.summary(self.model)
        return stats[0] if stats else None

    @property
    def hits(self) -> int:
        stats = self._stats()
        return len(stats.cached_steps) if stats is not None else 0

    @property
    def misses(self) -> int:
        stats = self._stats()
        return stats.accumulated_executed_steps - self.hits if stats is not None else 0


def enable_cache_dit(
    model: nn.Module, front: int = 1, back: int = 1, threshold: float = 0.1, warmup_steps: int = 1
) -> CacheDitState:
    """Called by ``reference_model.cache.enable_cache(..., backend="cache-dit")``, which checks
    ``front`` and ``back``."""
    os.environ.setdefault("CACHE_DIT_LOG_LEVEL", "warning")  # read when cache_dit is first imported
    try:
        import cache_dit
        from cache_dit import BlockAdapter, DBCacheConfig, ForwardPattern
    except ImportError as exc:  # the extra is optional
        raise RuntimeError("the cache-dit backend needs the extra: pip install -e '.[cache-dit]'") from exc
    cache_dit.enable_cache(
        BlockAdapter(
            transformer=model,
            blocks=model.layers,
            forward_pattern=ForwardPattern.Pattern_3,
            check_forward_pattern=False,
        ),
        cache_config=DBCacheConfig(
            Fn_compute_blocks=front,
            Bn_compute_blocks=back,
            residual_diff_threshold=threshold,
            max_warmup_steps=warmup_steps,
        ),
    )
    return CacheDitState(model)
