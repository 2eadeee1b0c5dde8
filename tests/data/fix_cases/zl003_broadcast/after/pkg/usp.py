import torch.nn as nn


class USPAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip_sequence_parallel = False

    def forward(self, q, k, v, skip_sequence_parallel_override=None):
        """Attention over the (possibly sharded) sequence."""
        if skip_sequence_parallel_override is None:
            skip_sequence_parallel_override = self.skip_sequence_parallel
        if skip_sequence_parallel_override:  # whole sequence on this rank
            return q
        return k
