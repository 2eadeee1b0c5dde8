"""Process groups for unified sequence parallelism (Ulysses x ring) over torch.distributed.

Ranks form a ``ring_degree x ulysses_degree`` grid: rank = ring_index * ulysses + ulysses_index.
A Ulysses group holds the ranks of one ring index (they trade sequence shards for head shards
with all-to-all); a ring group holds the ranks of one Ulysses index (they pass K/V blocks round).
gloo on CPU, NCCL where CUDA is present.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Optional

import torch
import torch.distributed as dist


@dataclass
class SPContext:
    world_size: int
    rank: int
    ulysses: int
    ring: int
    ulysses_group: Optional[object] = None
    ring_group: Optional[object] = None
    world_group: Optional[object] = None

    @property
    def ulysses_rank(self) -> int:
        return self.rank % self.ulysses

    @property
    def ring_rank(self) -> int:
        return self.rank // self.ulysses

    def ring_peer(self, ring_index: int) -> int:
        return ring_index * self.ulysses + self.ulysses_rank


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def init(rank: int, world_size: int, ulysses: int, ring: int, port: int) -> SPContext:
    if ulysses * ring != world_size:
        raise ValueError(f"ulysses ({ulysses}) x ring ({ring}) must equal the world size ({world_size})")
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend, rank=rank, world_size=world_size)
    context = SPContext(world_size, rank, ulysses, ring, world_group=dist.group.WORLD)
    for ring_index in range(ring):  # every rank must create every group, in the same order
        ranks = [ring_index * ulysses + u for u in range(ulysses)]
        group = dist.new_group(ranks)
        if rank in ranks:
            context.ulysses_group = group
    for u in range(ulysses):
        ranks = [r * ulysses + u for r in range(ring)]
        group = dist.new_group(ranks)
        if rank in ranks:
            context.ring_group = group
    return context


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def all_to_all(x: torch.Tensor, scatter_dim: int, gather_dim: int, group, size: int) -> torch.Tensor:
    """Split ``x`` into ``size`` chunks along ``scatter_dim``, exchange them within ``group`` and
    concatenate what arrives along ``gather_dim``."""
    if size == 1:
        return x
    inputs = [c.contiguous() for c in x.chunk(size, dim=scatter_dim)]
    outputs = [torch.empty_like(inputs[0]) for _ in range(size)]
    dist.all_to_all(outputs, inputs, group=group)
    return torch.cat(outputs, dim=gather_dim)


def all_gather(x: torch.Tensor, dim: int, group, size: int) -> torch.Tensor:
    if size == 1:
        return x
    outputs = [torch.empty_like(x) for _ in range(size)]
    dist.all_gather(outputs, x.contiguous(), group=group)
    return torch.cat(outputs, dim=dim)


def ring_exchange(tensor: torch.Tensor, context: SPContext, step: int) -> torch.Tensor:
    """Send ``tensor`` to the next ring member and receive the previous member's block."""
    nxt = context.ring_peer((context.ring_rank + 1) % context.ring)
    prv = context.ring_peer((context.ring_rank - 1) % context.ring)
    tensor = tensor.contiguous()
    received = torch.empty_like(tensor)
    ops = [dist.P2POp(dist.isend, tensor, nxt), dist.P2POp(dist.irecv, received, prv)]
    for request in dist.batch_isend_irecv(ops):
        request.wait()
    return received
