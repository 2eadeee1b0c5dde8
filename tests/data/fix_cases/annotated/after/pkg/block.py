import torch
import torch.nn as nn

from .usp import USPAttention
from typing import Optional


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = USPAttention()

    def forward(self, x: torch.Tensor, skip_sequence_parallel_override: Optional[bool] = None) -> torch.Tensor:
        return self.attn(x, x, skip_sequence_parallel_override=skip_sequence_parallel_override)
