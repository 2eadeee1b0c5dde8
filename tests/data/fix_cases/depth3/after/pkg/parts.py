import torch.nn as nn


class Kernel(nn.Module):
    def __init__(self):
        super().__init__()
        self.precise = False

    def forward(self, x, precise_override=None):
        if precise_override is None:
            precise_override = self.precise
        return x * 2 if precise_override else x


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.kernel = Kernel()

    def forward(self, x, precise_override=None):
        return self.kernel(x, precise_override=precise_override)


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x, precise_override=None):
        return self.inner(x, precise_override=precise_override)
