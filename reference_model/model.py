"""The reference model in its fixed form: the sequence-parallel decision travels as a forward
argument, ``skip_sequence_parallel_override``, from the block loop down to ``USPAttention``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn

from .distributed import all_gather
from .layers import FeedForward, TimestepEmbedder, ZImageFinalLayer, apply_rope, patchify, rope_2d, unpatchify
from .usp import local_attention, usp_attention


@dataclass(frozen=True)
class ModelConfig:
    dim: int = 32
    num_heads: int = 4
    n_layers: int = 4
    n_refiner_layers: int = 1
    patch_size: int = 2
    in_channels: int = 4
    cap_dim: int = 16


class USPAttention(nn.Module):
    def __init__(self, num_heads: int, skip_sequence_parallel: bool = False):
        super().__init__()
        self.num_heads = num_heads
        self.skip_sequence_parallel = skip_sequence_parallel
        self.sp = None  # the SPContext, attached by set_sequence_parallel before running

    def forward(self, q, k, v, num_replicated_suffix: int = 0, skip_sequence_parallel_override: Optional[bool] = None):
        skip = (
            self.skip_sequence_parallel if skip_sequence_parallel_override is None else skip_sequence_parallel_override
        )
        if skip or self.sp is None or self.sp.world_size == 1:
            return local_attention(q, k, v)
        return usp_attention(q, k, v, self.sp, num_replicated_suffix)


class ZImageAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int, skip_sequence_parallel: bool = False):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.norm_q = nn.RMSNorm(self.head_dim, eps=1e-6)
        self.norm_k = nn.RMSNorm(self.head_dim, eps=1e-6)
        self.to_out = nn.Linear(dim, dim, bias=False)
        self.attn = USPAttention(num_heads, skip_sequence_parallel)

    def forward(
        self, x, angles, num_replicated_suffix: int = 0, skip_sequence_parallel_override: Optional[bool] = None
    ):
        b, n, d = x.shape
        shape = (b, n, self.num_heads, self.head_dim)
        q = self.norm_q(self.to_q(x).view(shape)).transpose(1, 2)
        k = self.norm_k(self.to_k(x).view(shape)).transpose(1, 2)
        v = self.to_v(x).view(shape).transpose(1, 2)
        rotated = n - num_replicated_suffix
        if angles is not None and rotated:
            q = torch.cat([apply_rope(q[:, :, :rotated], angles), q[:, :, rotated:]], dim=2)
            k = torch.cat([apply_rope(k[:, :, :rotated], angles), k[:, :, rotated:]], dim=2)
        out = self.attn(q, k, v, num_replicated_suffix, skip_sequence_parallel_override=skip_sequence_parallel_override)
        return self.to_out(out.transpose(1, 2).reshape(b, n, d))


class ZImageTransformerBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int, skip_sequence_parallel: bool = False):
        super().__init__()
        self.attention_norm = nn.RMSNorm(dim, eps=1e-6)
        self.attention = ZImageAttention(dim, num_heads, skip_sequence_parallel)
        self.ffn_norm = nn.RMSNorm(dim, eps=1e-6)
        self.feed_forward = FeedForward(dim, 2 * dim)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 4 * dim))

    def forward(
        self,
        x,
        adaln_input,
        angles,
        num_replicated_suffix: int = 0,
        skip_sequence_parallel_override: Optional[bool] = None,
    ):
        scale_msa, gate_msa, scale_mlp, gate_mlp = self.adaLN_modulation(adaln_input)[:, None].chunk(4, dim=-1)
        attended = self.attention(
            self.attention_norm(x) * (1 + scale_msa),
            angles,
            num_replicated_suffix,
            skip_sequence_parallel_override=skip_sequence_parallel_override,
        )
        x = x + gate_msa.tanh() * attended
        return x + gate_mlp.tanh() * self.feed_forward(self.ffn_norm(x) * (1 + scale_mlp))


class ZImageModel(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        c = config
        self.x_embedder = nn.Linear(c.patch_size * c.patch_size * c.in_channels, c.dim)
        self.t_embedder = TimestepEmbedder(c.dim)
        self.cap_embedder = nn.Sequential(nn.RMSNorm(c.cap_dim, eps=1e-6), nn.Linear(c.cap_dim, c.dim))
        # The refiners work on one modality at a time, never sharded.
        self.noise_refiner = nn.ModuleList(
            [ZImageTransformerBlock(c.dim, c.num_heads, True) for _ in range(c.n_refiner_layers)]
        )
        self.context_refiner = nn.ModuleList(
            [ZImageTransformerBlock(c.dim, c.num_heads, True) for _ in range(c.n_refiner_layers)]
        )
        self.layers = nn.ModuleList([ZImageTransformerBlock(c.dim, c.num_heads) for _ in range(c.n_layers)])
        self.final_layer = ZImageFinalLayer(c.dim, c.patch_size * c.patch_size * c.in_channels)
        self.sp = None

    def set_sequence_parallel(self, context) -> None:
        """Attach the process groups (outside forward, once per run)."""
        self.sp = context
        for module in self.modules():
            if isinstance(module, USPAttention):
                module.sp = context

    def forward(self, latent: torch.Tensor, t: torch.Tensor, cap_feats: torch.Tensor) -> torch.Tensor:
        c = self.config
        _, channels, height, width = latent.shape
        img = self.x_embedder(patchify(latent, c.patch_size))
        adaln_input = self.t_embedder(t)
        cap = self.cap_embedder(cap_feats)
        angles = rope_2d(height // c.patch_size, width // c.patch_size, c.dim // c.num_heads, latent.device)
        for block in self.noise_refiner:
            img = block(img, adaln_input, angles)
        for block in self.context_refiner:
            cap = block(cap, adaln_input, None)
        world = self.sp.world_size if self.sp is not None else 1
        # Image tokens are sharded over the ranks; when they do not split evenly, every rank holds
        # the full unified sequence and attention runs locally.
        use_full_unified_sequence = world == 1 or img.shape[1] % world != 0
        if not use_full_unified_sequence:
            img = img.chunk(world, dim=1)[self.sp.rank]
            angles = angles.chunk(world, dim=0)[self.sp.rank]
        unified = torch.cat([img, cap], dim=1)
        for layer in self.layers:
            unified = layer(
                unified, adaln_input, angles, cap.shape[1], skip_sequence_parallel_override=use_full_unified_sequence
            )
        out = self.final_layer(unified[:, : img.shape[1]], adaln_input)
        if not use_full_unified_sequence:
            out = all_gather(out, 1, self.sp.world_group, world)
        return unpatchify(out, c.patch_size, channels, height, width)
