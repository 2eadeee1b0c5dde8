import torch.nn as nn


class Leaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.flag = False

    def forward(self, x):
        return self._combine(x, self._scale())

    def _scale(self):
        return 2.0 if self.flag else 1.0

    def _combine(self, x, scale):
        return x * scale
