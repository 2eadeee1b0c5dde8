import torch.nn as nn

from .block import Block
from .usp import USPAttention


class FinalLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x, skip_sequence_parallel_override=None):
        return self.attn(x, x, x, skip_sequence_parallel_override=skip_sequence_parallel_override)


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])
        self.final_layer = FinalLayer()

    def forward(self, x, full):
        # Every attention decides for itself.
        for layer in self.layers:
            x = layer(x, skip_sequence_parallel_override=full)
        return self.final_layer(x, skip_sequence_parallel_override=full)
