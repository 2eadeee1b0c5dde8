import torch.nn as nn

from .block import Block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])

    def forward(self, x, flag, scale=None):
        for layer in self.layers:
            layer.leaf.flag = flag
            if scale is None:
                x = layer(x)
            else:
                x = layer(x * scale)  # scaled input
        return x
