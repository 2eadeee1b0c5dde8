import torch.nn as nn


class Leaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.flag = False

    def forward(self, x, flag_override=None):
        if flag_override is None:
            flag_override = self.flag
        if flag_override:
            return x
        return -x
