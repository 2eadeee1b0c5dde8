import torch
import torch.nn as nn

from .usp import USPAttention


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x)
