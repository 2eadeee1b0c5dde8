from typing import Tuple

import torch
import torch.nn as nn


class USPAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.skip_sequence_parallel: bool = False

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return q if self.skip_sequence_parallel else k
