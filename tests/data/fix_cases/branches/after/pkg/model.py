import torch.nn as nn

from .block import Block


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])

    def forward(self, x, flag, scale=None):
        for layer in self.layers:
            if scale is None:
                x = layer(x, flag_override=flag)
            else:
                x = layer(x * scale, flag_override=flag)  # scaled input
        return x
