import torch.nn as nn

from .parts import Block, USPAttention, ring_off


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(n)])
        self.head = Block()

    def forward(self, x, full, scale):
        for layer in self.layers:
            layer.attention.attn.skip_sequence_parallel = full  # expect: ZL001
            x = layer(x) * layer.scale  # expect: ZL007
        setattr(self.head.attention.attn, "use_ring", full)  # expect: ZL002
        for m in self.modules():
            if isinstance(m, USPAttention):
                m.use_ring = not full  # expect: ZL003
        old = self.head.scale
        self.head.scale = scale  # expect: ZL004
        try:
            x = self.head(x)
        finally:
            self.head.scale = old
        with ring_off(self.head.attention.attn):  # expect: ZL004
            x = self.head(x)
        heads = self.layers[0].attention.attn.use_ring  # expect: ZL005
        x = self.layers[0](x)
        self.last_full = full  # expect: ZL006
        return x * heads

    def extra_repr(self):
        return f"last_full={self.last_full}"
