import torch.nn as nn


class USPAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip_sequence_parallel = False

    def forward(self, q, k, v):
        """Attention over the (possibly sharded) sequence."""
        if self.skip_sequence_parallel:  # whole sequence on this rank
            return q
        return k
