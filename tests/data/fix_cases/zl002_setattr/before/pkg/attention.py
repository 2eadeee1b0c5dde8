import torch.nn as nn

from pkg.usp import USPAttention


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = USPAttention()

    def forward(
        self,
        x,
        mask=None,
    ):
        # q, k and v share one input here.
        return self.attn(
            x,
            x,
            x,
        )
