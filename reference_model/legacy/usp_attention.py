"""Attention that can run over a sharded sequence, or locally when told to skip parallelism."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class USPAttention(nn.Module):
    """Scaled dot-product attention over the unified sequence.

    When ``skip_sequence_parallel`` is set, the rank holds the full unified sequence and attention
    runs locally; otherwise the sequence-parallel path is taken.
    """

    def __init__(self, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.skip_sequence_parallel = False

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        if self.skip_sequence_parallel:
            return self._local(q, k, v)
        return self._sequence_parallel(q, k, v)

    def _local(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v)

    def _sequence_parallel(self, q, k, v):
        # With a single process the sharded path computes the same attention.
        return F.scaled_dot_product_attention(q, k, v)
