import torch.nn as nn

from .parts import Outer


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.outer = Outer()

    def forward(self, x):
        return self.outer(x)
