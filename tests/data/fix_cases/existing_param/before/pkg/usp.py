import torch.nn as nn


class USPAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip_sequence_parallel = False

    def forward(self, q, k, v, skip_sequence_parallel_override=None):
        if skip_sequence_parallel_override is None:
            skip_sequence_parallel_override = self.skip_sequence_parallel
        return q if skip_sequence_parallel_override else k
