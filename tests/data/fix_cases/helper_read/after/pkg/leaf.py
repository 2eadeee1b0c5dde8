import torch.nn as nn


class Leaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.flag = False

    def forward(self, x, flag_override=None):
        return self._combine(x, self._scale(flag_override=flag_override))

    def _scale(self, flag_override=None):
        if flag_override is None:
            flag_override = self.flag
        return 2.0 if flag_override else 1.0

    def _combine(self, x, scale):
        return x * scale
