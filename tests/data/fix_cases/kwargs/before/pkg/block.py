import torch.nn as nn

from .attention import Attention


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()

    def forward(self, x, **kwargs):
        return self.attention(x, **kwargs)
