import torch.nn as nn


class USPAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip_sequence_parallel = False
        self.use_ring = True

    def forward(self, q, skip_sequence_parallel_override=None, use_ring_override=None):
        if skip_sequence_parallel_override is None:
            skip_sequence_parallel_override = self.skip_sequence_parallel
        if use_ring_override is None:
            use_ring_override = self.use_ring
        if skip_sequence_parallel_override:
            return q
        return q * 2 if use_ring_override else q * 3
