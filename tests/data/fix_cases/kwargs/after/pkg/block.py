import torch.nn as nn

from .attention import Attention


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()

    def forward(self, x, skip_sequence_parallel_override=None, **kwargs):
        return self.attention(x, skip_sequence_parallel_override=skip_sequence_parallel_override, **kwargs)
