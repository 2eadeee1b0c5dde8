"""The legacy Z-Image-style model: its block loop sets state inside every block's attention."""

import torch
import torch.nn as nn

from .block import ZImageTransformerBlock


class ZImageModel(nn.Module):
    def __init__(self, dim: int = 64, num_heads: int = 4, n_layers: int = 2, patch_size: int = 2, in_channels: int = 4):
        super().__init__()
        self.patch_size = patch_size
        self.x_embedder = nn.Linear(patch_size * patch_size * in_channels, dim)
        self.t_embedder = nn.Sequential(nn.Linear(1, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.cap_embedder = nn.Linear(dim, dim)
        self.layers = nn.ModuleList([ZImageTransformerBlock(dim, num_heads) for _ in range(n_layers)])
        self.final_layer = nn.Linear(dim, patch_size * patch_size * in_channels)

    def forward(self, x: torch.Tensor, t: torch.Tensor, cap_feats: torch.Tensor, world_size: int = 1) -> torch.Tensor:
        tokens = self.x_embedder(x)
        adaln_input = self.t_embedder(t.view(-1, 1).float())
        unified = torch.cat([tokens, self.cap_embedder(cap_feats)], dim=1)
        # A unified length that does not shard evenly needs the full sequence on every rank.
        use_full_unified_sequence = unified.shape[1] % world_size != 0
        for layer in self.layers:
            layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence
            unified = layer(unified, adaln_input)
        return self.final_layer(unified[:, : tokens.shape[1]])
