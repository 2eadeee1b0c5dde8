from torch import nn

from .layers.attention import ZImageAttention


class BaseBlock(nn.Module):
    pass


class ZImageTransformerBlock(BaseBlock):
    def __init__(self, dim, heads):
        super().__init__()
        self.attention = ZImageAttention(dim, heads)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return x + self.attention(self.norm(x))
