import torch.nn as nn

from .usp import USPAttention


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x, mask=None, skip_sequence_parallel_override=None):
        return self.attn(x, x, x, skip_sequence_parallel_override=skip_sequence_parallel_override)
