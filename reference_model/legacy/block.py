"""An adaLN-modulated transformer block: attention and feed-forward."""

import torch
import torch.nn as nn

from .attention import ZImageAttention


class ZImageTransformerBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.attention_norm = nn.LayerNorm(dim, elementwise_affine=False)
        self.attention = ZImageAttention(dim, num_heads)
        self.ffn_norm = nn.LayerNorm(dim, elementwise_affine=False)
        self.feed_forward = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.adaLN_modulation = nn.Linear(dim, 4 * dim)

    def forward(self, x: torch.Tensor, adaln_input: torch.Tensor) -> torch.Tensor:
        scale_msa, gate_msa, scale_mlp, gate_mlp = self.adaLN_modulation(adaln_input).unsqueeze(1).chunk(4, dim=-1)
        x = x + gate_msa.tanh() * self.attention(self.attention_norm(x) * (1 + scale_msa))
        x = x + gate_mlp.tanh() * self.feed_forward(self.ffn_norm(x) * (1 + scale_mlp))
        return x
