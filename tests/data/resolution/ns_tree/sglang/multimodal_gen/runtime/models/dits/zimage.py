import torch
from torch import nn

from sglang.multimodal_gen.runtime.layers.attention import USPAttention


class ZImageAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x):
        return self.attn(x)


class ZImageTransformerBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = ZImageAttention()

    def forward(self, x):
        return self.attention(x)


class ZImageTransformer2DModel(nn.Module):
    def __init__(self, depth: int = 2):
        super().__init__()
        self.layers = nn.ModuleList([ZImageTransformerBlock() for _ in range(depth)])

    def forward(self, x, use_full_unified_sequence: bool = False):
        for layer in self.layers:
            layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence
            x = layer(x)
        return x
