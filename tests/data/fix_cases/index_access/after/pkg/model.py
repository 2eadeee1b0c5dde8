import torch.nn as nn

from .block import Block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])

    def forward(self, x, flags):
        for i, layer in enumerate(self.layers):
            flag_override = flags[i]
            x = layer(x, flag_override=flag_override)
        for i in range(len(self.layers)):
            flag_override = flags[i]
            x = self.layers[i](x, flag_override=flag_override)
        return x
