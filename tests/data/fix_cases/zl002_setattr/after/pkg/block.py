import torch.nn as nn

from .attention import Attention


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()

    def forward(self, x, mask=None, skip_sequence_parallel_override=None):
        return x + self.attention(x, mask=mask, skip_sequence_parallel_override=skip_sequence_parallel_override)
