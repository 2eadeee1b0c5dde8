"""Process groups for unified sequence parallelism (Ulysses x ring) over torch.distributed.

Ranks form a ``ring_degree x ulysses_degree`` grid: rank = ring_index * ulysses + ulysses_index.
A Ulysses group holds the ranks of one ring index (they trade sequence shards for head shards
with all-to-all); a ring group holds the ranks of one Ulysses index (they pass K/V blocks round).

Where the ranks run is chosen by :func:`plan`: NCCL when every rank has a GPU of its own
(rank ``r`` on ``cuda:r``); gloo when the ranks run on CPU; and, when the world size exceeds the
GPUs present, gloo with the ranks sharing the GPUs (rank ``r`` on ``cuda:r % gpus``) and every
exchange staged through CPU tensors, since gloo has no all-to-all or point-to-point on CUDA.
Where gloo has no all-to-all at all (torch releases before 2.13), it is made of point-to-point
messages (:func:`pairwise_all_to_all`).
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


@dataclass(frozen=True)
class Placement:
    """Where a run's ranks compute and how they talk: ``device`` is ``"cpu"`` or ``"cuda"``,
    ``backend`` is ``"gloo"`` or ``"nccl"``; ``note`` is the one line to print on a fallback."""

    device: str
    backend: str
    gpus: int = 0
    note: Optional[str] = None

    def rank_device(self, rank: int) -> torch.device:
        if self.device == "cpu":
            return torch.device("cpu")
        return torch.device("cuda", rank % self.gpus)


def resolve_device(device: str) -> str:
    """``"auto"`` becomes ``"cuda"`` when CUDA is available, else ``"cpu"``; ``"cuda"`` without a
    GPU is refused with a ``ValueError``."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available (torch.cuda.is_available() is False)")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}: use 'auto', 'cpu' or 'cuda'")
    return device


def plan(device: str, world_size: int, gpus: int) -> Placement:
    """The backend for ``world_size`` ranks on ``device`` (already resolved) with ``gpus`` GPUs."""
    if device == "cpu":
        return Placement("cpu", "gloo")
    if gpus < 1:
        raise ValueError("device 'cuda' needs at least one GPU")
    if world_size <= gpus:
        return Placement("cuda", "nccl", gpus)
    shared = "cuda:0" if gpus == 1 else f"cuda:0..{gpus - 1}"
    return Placement(
        "cuda",
        "gloo",
        gpus,
        f"world size {world_size} exceeds the {gpus} GPU(s) present: gloo on CPU tensors, the ranks share {shared}",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def init(rank: int, world_size: int, ulysses: int, ring: int, port: int, backend: str = "gloo") -> SPContext:
    if ulysses * ring != world_size:
        raise ValueError(f"ulysses ({ulysses}) x ring ({ring}) must equal the world size ({world_size})")
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    if backend == "nccl":
        torch.cuda.set_device(rank)  # NCCL's collectives and P2P run on the current device
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


def _staged(x: torch.Tensor, group) -> bool:
    """gloo exchanges CPU tensors: CUDA tensors go through the host on the way."""
    return x.is_cuda and dist.get_backend(group) == "gloo"


def all_reduce(x: torch.Tensor, group) -> torch.Tensor:
    """Sum ``x`` over ``group``; returns the result on ``x``'s device."""
    if _staged(x, group):
        host = x.cpu().contiguous()
        dist.all_reduce(host, group=group)
        return host.to(x.device)
    dist.all_reduce(x, group=group)
    return x


def all_to_all(x: torch.Tensor, scatter_dim: int, gather_dim: int, group, size: int) -> torch.Tensor:
    """Split ``x`` into ``size`` chunks along ``scatter_dim``, exchange them within ``group`` and
    concatenate what arrives along ``gather_dim``."""
    if size == 1:
        return x
    staged = _staged(x, group)
    inputs = [(c.cpu() if staged else c).contiguous() for c in x.chunk(size, dim=scatter_dim)]
    outputs = [torch.empty_like(inputs[0]) for _ in range(size)]
    _all_to_all_lists(outputs, inputs, group)
    return torch.cat(outputs, dim=gather_dim).to(x.device)


# Whether a backend has a native all-to-all, learnt on first use: gloo has one in torch 2.13,
# and none in some earlier releases (2.11 says "Backend gloo does not support alltoall").
_NATIVE_ALL_TO_ALL = {}


def _all_to_all_lists(outputs, inputs, group) -> None:
    backend = dist.get_backend(group)
    if _NATIVE_ALL_TO_ALL.get(backend, True):
        try:
            dist.all_to_all(outputs, inputs, group=group)
            _NATIVE_ALL_TO_ALL[backend] = True
            return
        except RuntimeError as exc:  # raised on every rank alike, before anything is sent
            if "does not support alltoall" not in str(exc):
                raise
            _NATIVE_ALL_TO_ALL[backend] = False
    pairwise_all_to_all(outputs, inputs, group)


def pairwise_all_to_all(outputs, inputs, group) -> None:
    """All-to-all from point-to-point messages: ``inputs[i]`` goes to the group's ``i``-th rank,
    ``outputs[i]`` comes from it; this rank's own chunk is copied."""
    ranks = dist.get_process_group_ranks(group)
    me = dist.get_rank(group)
    ops = []
    for index, peer in enumerate(ranks):
        if index == me:
            outputs[index].copy_(inputs[index])
            continue
        ops.append(dist.P2POp(dist.isend, inputs[index], peer, group))
        ops.append(dist.P2POp(dist.irecv, outputs[index], peer, group))
    for request in dist.batch_isend_irecv(ops) if ops else ():
        request.wait()


def all_gather(x: torch.Tensor, dim: int, group, size: int) -> torch.Tensor:
    if size == 1:
        return x
    local = (x.cpu() if _staged(x, group) else x).contiguous()
    outputs = [torch.empty_like(local) for _ in range(size)]
    dist.all_gather(outputs, local, group=group)
    return torch.cat(outputs, dim=dim).to(x.device)


def ring_exchange(tensor: torch.Tensor, context: SPContext, step: int) -> torch.Tensor:
    """Send ``tensor`` to the next ring member and receive the previous member's block."""
    nxt = context.ring_peer((context.ring_rank + 1) % context.ring)
    prv = context.ring_peer((context.ring_rank - 1) % context.ring)
    device = tensor.device
    tensor = (tensor.cpu() if _staged(tensor, None) else tensor).contiguous()
    received = torch.empty_like(tensor)
    ops = [dist.P2POp(dist.isend, tensor, nxt), dist.P2POp(dist.irecv, received, prv)]
    for request in dist.batch_isend_irecv(ops):
        request.wait()
    return received.to(device)
