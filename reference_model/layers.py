"""Layers both forms of the reference model share: embeddings, rotary positions, feed-forward."""

from __future__ import annotations

import math

import torch
import torch.nn as nn


class TimestepEmbedder(nn.Module):
    def __init__(self, dim: int, frequency_dim: int = 32):
        super().__init__()
        self.frequency_dim = frequency_dim
        self.mlp = nn.Sequential(nn.Linear(frequency_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.frequency_dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        args = t.float()[:, None] * 1000.0 * freqs[None]
        return self.mlp(torch.cat([torch.cos(args), torch.sin(args)], dim=-1))


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(nn.functional.silu(self.w1(x)) * self.w3(x))


def rope_2d(height: int, width: int, head_dim: int, device=None) -> torch.Tensor:
    """Rotary angles for image tokens on a ``height x width`` grid: half the pairs follow the
    row, half the column. Shape ``[height * width, head_dim // 2]``, on ``device``."""
    quarter = head_dim // 4
    inv = 1.0 / (10000.0 ** (torch.arange(quarter, dtype=torch.float32, device=device) / quarter))
    rows = torch.arange(height, dtype=torch.float32, device=device)[:, None].expand(height, width).reshape(-1)
    cols = torch.arange(width, dtype=torch.float32, device=device)[None, :].expand(height, width).reshape(-1)
    return torch.cat([rows[:, None] * inv[None], cols[:, None] * inv[None]], dim=-1)


def apply_rope(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """Rotate pairs of ``x`` ``[batch, heads, tokens, head_dim]`` by ``angles`` ``[tokens, head_dim // 2]``."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    cos, sin = torch.cos(angles)[None, None], torch.sin(angles)[None, None]
    out = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return out.flatten(-2)


class ZImageFinalLayer(nn.Module):
    def __init__(self, dim: int, out_dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(dim, out_dim)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        scale = 1.0 + self.adaLN_modulation(c)
        return self.linear(self.norm(x) * scale[:, None])


def patchify(latent: torch.Tensor, patch: int) -> torch.Tensor:
    b, c, h, w = latent.shape
    x = latent.view(b, c, h // patch, patch, w // patch, patch)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // patch) * (w // patch), patch * patch * c)


def unpatchify(tokens: torch.Tensor, patch: int, channels: int, height: int, width: int) -> torch.Tensor:
    b = tokens.shape[0]
    x = tokens.view(b, height // patch, width // patch, patch, patch, channels)
    return x.permute(0, 5, 1, 3, 2, 4).reshape(b, channels, height, width)
