"""Wrappers the reference-model tests apply inside worker processes."""

import copy

import torch.nn as nn


class ShadowingWrapper(nn.Module):
    """A block wrapper that keeps its own copy of the block's attention: attribute writes through
    ``layer.attention`` land on the copy, and the block never sees them."""

    def __init__(self, block):
        super().__init__()
        self.block = block
        attn = block.attention.attn
        context, attn.sp = attn.sp, None  # process groups cannot be copied
        self.attention = copy.deepcopy(block.attention)
        attn.sp = context

    def forward(self, *args, **kwargs):
        return self.block(*args, **kwargs)


def shadow_blocks(model):
    model.layers = nn.ModuleList([ShadowingWrapper(block) for block in model.layers])


def all_to_all_both_ways(rank: int, world_size: int, port: int, out_dir: str) -> None:
    """A worker: over the Ulysses group of a 2 x 2 grid, exchange rank-stamped chunks with the
    backend's own all-to-all and with the point-to-point one; save both."""
    import os

    import torch

    from reference_model import distributed

    context = distributed.init(rank, world_size, 2, world_size // 2, port)
    try:
        inputs = [torch.full((2, 3), 10.0 * rank + i) for i in range(2)]
        native = [torch.empty(2, 3) for _ in range(2)]
        pairwise = [torch.empty(2, 3) for _ in range(2)]
        try:
            torch.distributed.all_to_all(native, inputs, group=context.ulysses_group)
        except RuntimeError:  # "Backend gloo does not support alltoall" (torch before 2.13)
            native = None
        distributed.pairwise_all_to_all(pairwise, inputs, context.ulysses_group)
        torch.save({"native": native, "pairwise": pairwise}, os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        distributed.shutdown()
