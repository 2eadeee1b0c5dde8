import contextlib

import torch.nn as nn


class USPAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip_sequence_parallel = False
        self.use_ring = True

    def forward(self, x):
        return x if self.skip_sequence_parallel else -x


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x):
        return self.attn(x)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()
        self.scale = 1.0

    def forward(self, x):
        return self.attention(x) * self.scale


@contextlib.contextmanager
def ring_off(module):
    old = module.use_ring
    module.use_ring = False
    try:
        yield
    finally:
        module.use_ring = old
