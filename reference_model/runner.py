"""Running the reference model: a few denoising steps, in one process or in spawned workers."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

import torch
import torch.multiprocessing as mp

from .model import ModelConfig

MODULES = {"fixed": "reference_model.model", "legacy": "reference_model.legacy.model"}


@dataclass(frozen=True)
class RunSpec:
    variant: str = "fixed"  # "fixed", "legacy", or a module path via model_module
    world_size: int = 1
    ulysses: int = 1
    ring: int = 1
    cache: bool = False
    threshold: float = 0.1
    steps: int = 3
    seed: int = 0
    latent_size: int = 8
    caption_tokens: int = 5
    model_module: Optional[str] = None
    extra_paths: Sequence[str] = ()
    wrap: Optional[str] = None  # "module:function" applied to the built model, e.g. a block wrapper
    cache_backend: str = "builtin"  # or "cache-dit" (extra ``cache-dit``)


@dataclass
class RunResult:
    output: torch.Tensor
    hits: int
    misses: int
    wall: float


def build_model(spec: RunSpec, config: ModelConfig = ModelConfig()):
    """One seeded initialisation, loaded into whichever form is asked for."""
    from .model import ZImageModel

    torch.manual_seed(spec.seed)
    reference = ZImageModel(config)
    module = importlib.import_module(spec.model_module or MODULES[spec.variant])
    model = module.ZImageModel(config)
    model.load_state_dict(reference.state_dict())
    return model.eval()


def inputs(spec: RunSpec, config: ModelConfig = ModelConfig()):
    generator = torch.Generator().manual_seed(spec.seed + 1)
    latent = torch.randn(1, config.in_channels, spec.latent_size, spec.latent_size, generator=generator)
    caption = torch.randn(1, spec.caption_tokens, config.cap_dim, generator=generator)
    return latent, caption


def denoise(model, spec: RunSpec, state=None) -> torch.Tensor:
    latent, caption = inputs(spec)
    with torch.no_grad():
        for step in range(spec.steps):
            t = torch.full((1,), 1.0 - step / spec.steps)
            latent = latent - model(latent, t, caption) / spec.steps
    return latent


def _run_here(spec: RunSpec, context=None) -> RunResult:
    from .cache import enable_cache

    model = build_model(spec)
    if context is not None:
        model.set_sequence_parallel(context)
    state = enable_cache(model, threshold=spec.threshold, backend=spec.cache_backend) if spec.cache else None
    if spec.wrap:
        module_name, _, function = spec.wrap.partition(":")
        getattr(importlib.import_module(module_name), function)(model)
    start = time.perf_counter()
    output = denoise(model, spec, state)
    wall = time.perf_counter() - start
    return RunResult(output, state.hits if state else 0, state.misses if state else 0, wall)


def _worker(rank: int, spec: RunSpec, port: int, result_path: str) -> None:
    from . import distributed

    for path in spec.extra_paths:
        if path not in sys.path:
            sys.path.insert(0, path)
    torch.set_num_threads(1)
    context = distributed.init(rank, spec.world_size, spec.ulysses, spec.ring, port)
    try:
        result = _run_here(spec, context)
        if rank == 0:
            torch.save({"output": result.output, "hits": result.hits, "misses": result.misses, "wall": result.wall}, result_path)
    finally:
        distributed.shutdown()


def run(spec: RunSpec, timeout: float = 120.0) -> RunResult:
    if spec.ulysses * spec.ring != spec.world_size:
        raise ValueError(f"ulysses ({spec.ulysses}) x ring ({spec.ring}) must equal the world size ({spec.world_size})")
    if spec.world_size == 1:
        return _run_here(spec)
    from .distributed import free_port

    with tempfile.TemporaryDirectory() as tmp:
        result_path = os.path.join(tmp, "result.pt")
        context = mp.start_processes(_worker, args=(spec, free_port(), result_path), nprocs=spec.world_size,
                                     join=False, start_method="spawn")
        deadline = time.monotonic() + timeout
        try:
            while not context.join(timeout=max(0.1, deadline - time.monotonic())):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"workers did not finish within {timeout:.0f} s")
        finally:
            for process in context.processes:
                if process.is_alive():
                    process.kill()
        data = torch.load(result_path)
    return RunResult(data["output"], data["hits"], data["misses"], data["wall"])
