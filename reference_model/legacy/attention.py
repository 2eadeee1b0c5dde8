"""Multi-head attention with q/k RMS norm, handing the attention itself to USPAttention."""

import torch
import torch.nn as nn

from .usp_attention import USPAttention


class ZImageAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.norm_q = nn.RMSNorm(self.head_dim)
        self.norm_k = nn.RMSNorm(self.head_dim)
        self.to_out = nn.Linear(dim, dim, bias=False)
        self.attn = USPAttention(num_heads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        shape = (batch, length, self.num_heads, self.head_dim)
        q = self.norm_q(self.to_q(x).view(shape)).transpose(1, 2)
        k = self.norm_k(self.to_k(x).view(shape)).transpose(1, 2)
        v = self.to_v(x).view(shape).transpose(1, 2)
        out = self.attn(q, k, v)
        return self.to_out(out.transpose(1, 2).reshape(batch, length, dim))
