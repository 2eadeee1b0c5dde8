"""Unified sequence parallel attention: Ulysses all-to-all combined with ring attention.

Queries, keys and values arrive as ``[batch, heads, tokens, head_dim]`` holding this rank's
shard of the sharded prefix (image tokens) followed by the replicated suffix (caption tokens,
the same on every rank). The prefix goes through Ulysses (sequence shards become head shards
within the Ulysses group) and ring attention (K/V blocks of the prefix travel round the ring
group, merged with an online softmax); the suffix's keys and values are attended to once.
"""

from __future__ import annotations

from typing import Tuple

import torch

from .distributed import SPContext, all_gather, all_to_all, ring_exchange


def _block(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Attention of ``q`` over one K/V block: output and log-sum-exp per query."""
    scores = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    lse = torch.logsumexp(scores, dim=-1, keepdim=True)
    return torch.matmul(torch.exp(scores - lse), v), lse


def _merge(out, lse, block_out, block_lse):
    """Online softmax: combine two partial attentions by their log-sum-exps."""
    if out is None:
        return block_out, block_lse
    new_lse = torch.logaddexp(lse, block_lse)
    return out * torch.exp(lse - new_lse) + block_out * torch.exp(block_lse - new_lse), new_lse


def local_attention(q, k, v) -> torch.Tensor:
    return _block(q, k, v)[0]


def usp_attention(q, k, v, context: SPContext, num_replicated_suffix: int) -> torch.Tensor:
    split = q.shape[2] - num_replicated_suffix
    u = context.ulysses
    # Ulysses: the prefix's sequence shards become head shards over the Ulysses group.
    qp, kp, vp = (all_to_all(t[:, :, :split], 1, 2, context.ulysses_group, u) for t in (q, k, v))
    heads = qp.shape[1]
    first = context.ulysses_rank * heads
    qs, ks, vs = (t[:, first : first + heads, split:] for t in (q, k, v))  # the suffix, this rank's heads
    queries = torch.cat([qp, qs], dim=2)
    out, lse = _block(queries, ks, vs) if num_replicated_suffix else (None, None)
    # Ring: every prefix K/V block of the ring group passes by once.
    block_k, block_v = kp, vp
    for step in range(context.ring):
        block_out, block_lse = _block(queries, block_k, block_v)
        out, lse = _merge(out, lse, block_out, block_lse)
        if step + 1 < context.ring:
            block_k = ring_exchange(block_k, context, step)
            block_v = ring_exchange(block_v, context, step)
    prefix, suffix = out[:, :, : qp.shape[2]], out[:, :, qp.shape[2] :]
    prefix = all_to_all(prefix, 2, 1, context.ulysses_group, u)  # back to sequence shards, all heads
    suffix = all_gather(suffix, 1, context.ulysses_group, u)  # every head of the replicated suffix
    return torch.cat([prefix, suffix], dim=2)
