from typing import Optional

import torch
from torch import nn


class LocalAttention(nn.Module):
    def forward(self, q):
        return q


class USPAttention(nn.Module):
    def __init__(self, skip_sequence_parallel: bool = False):
        super().__init__()
        self.skip_sequence_parallel = skip_sequence_parallel
        self.local = LocalAttention()

    def forward(self, q, skip_sequence_parallel_override: Optional[bool] = None):
        # The override, when given, replaces the construction-time setting.
        skip = self.skip_sequence_parallel if skip_sequence_parallel_override is None else skip_sequence_parallel_override
        if skip:
            return self.local(q)
        return self.local(q) * 2
