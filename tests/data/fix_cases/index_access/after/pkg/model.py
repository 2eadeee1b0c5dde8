import torch.nn as nn

from .block import Block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])

    def forward(self, x, flags):
        for i, layer in enumerate(self.layers):
            x = layer(x, flag_override=flags[i])
        for i in range(len(self.layers)):
            x = self.layers[i](x, flag_override=flags[i])
        return x
