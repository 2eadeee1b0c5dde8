import torch.nn as nn

from .block import Block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])

    def forward(self, x, flag):
        for layer in self.layers:
            layer.leaf.flag = flag
            flag = not flag
            x = layer(x)
        return x
