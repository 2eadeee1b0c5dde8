import torch.nn as nn

from .usp_attention import USPAttention


class ZImageAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.to_qkv = nn.Linear(dim, 3 * dim)
        self.attn = USPAttention(heads)

    def forward(self, x):
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        return self.attn(q, k, v)
