from typing import Optional, Tuple

import torch
import torch.nn as nn


class USPAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.skip_sequence_parallel: bool = False

    def forward(self, q: torch.Tensor, k: torch.Tensor, skip_sequence_parallel_override: Optional[bool] = None) -> torch.Tensor:
        if skip_sequence_parallel_override is None:
            skip_sequence_parallel_override = self.skip_sequence_parallel
        return q if skip_sequence_parallel_override else k
