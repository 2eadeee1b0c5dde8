import torch.nn as nn


class Kernel(nn.Module):
    def __init__(self):
        super().__init__()
        self.precise = False

    def forward(self, x):
        return x * 2 if self.precise else x


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.kernel = Kernel()

    def forward(self, x):
        return self.kernel(x)


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x):
        return self.inner(x)
