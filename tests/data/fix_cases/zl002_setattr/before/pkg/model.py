import torch.nn as nn

from .block import Block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])

    def forward(self, x, full):
        for layer in self.layers:
            setattr(layer.attention.attn, "skip_sequence_parallel", full)
            x = layer(x)
        return x
