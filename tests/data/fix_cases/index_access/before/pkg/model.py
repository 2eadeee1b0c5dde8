import torch.nn as nn

from .block import Block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])

    def forward(self, x, flags):
        for i, layer in enumerate(self.layers):
            layer.leaf.flag = flags[i]
            x = layer(x)
        for i in range(len(self.layers)):
            self.layers[i].leaf.flag = flags[i]
            x = self.layers[i](x)
        return x
