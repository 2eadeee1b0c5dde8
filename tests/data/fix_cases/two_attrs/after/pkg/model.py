import torch.nn as nn

from .block import Block, FinalLayer


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])
        self.final_layer = FinalLayer()

    def forward(self, x, full, ring):
        for layer in self.layers:
            x = layer(x, skip_sequence_parallel_override=full, use_ring_override=ring)
        return self.final_layer(x, skip_sequence_parallel_override=full)
