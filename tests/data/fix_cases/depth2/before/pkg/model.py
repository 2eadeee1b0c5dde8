import torch.nn as nn

from . import block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([block.Block() for _ in range(n)])

    def forward(self, x, use_full_unified_sequence):
        for layer in self.layers:
            layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence
            x = layer(x)  # the block call
        return x
