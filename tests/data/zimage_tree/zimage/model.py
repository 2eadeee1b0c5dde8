import torch.nn as nn

import zimage.final as final_mod
from . import block


class ZImageModel(nn.Module):
    def __init__(self, dim, heads, n_layers):
        super().__init__()
        self.layers = nn.ModuleList(
            [block.ZImageTransformerBlock(dim, heads) for _ in range(n_layers)]
        )
        self.final_layer = final_mod.ZImageFinalLayer(dim)
        self.layers[0].attention.attn.skip_sequence_parallel = False

    def set_full_sequence(self, value):
        for layer in self.layers:
            layer.attention.attn.skip_sequence_parallel = value

    def forward(self, x, use_full_unified_sequence):
        for layer in self.layers:
            layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence
            x = layer(x)
        self._finish(use_full_unified_sequence)
        return self.final_layer(x)

    def _finish(self, flag):
        head = self.final_layer.proj
        head.gather = flag
