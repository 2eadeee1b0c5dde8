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
