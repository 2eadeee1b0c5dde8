import torch.nn as nn

from .usp import USPAttention


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x, skip_sequence_parallel_override=None, use_ring_override=None):
        return self.attn(x, skip_sequence_parallel_override=skip_sequence_parallel_override, use_ring_override=use_ring_override)


class FinalLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x, skip_sequence_parallel_override=None):
        return self.attn(x, skip_sequence_parallel_override=skip_sequence_parallel_override) + 1
