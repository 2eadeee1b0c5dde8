import torch.nn as nn


class USPAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.skip_sequence_parallel = False
        self.use_ring = True

    def forward(self, q):
        if self.skip_sequence_parallel:
            return q
        return q * 2 if self.use_ring else q * 3
