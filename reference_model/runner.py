"""Running the reference model: a few denoising steps, in one process or in spawned workers."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

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
    device: str = "auto"  # "auto" (CUDA when available), "cpu" or "cuda"


class WorkerError(RuntimeError):
    """One or more ranks failed; ``failures`` maps each failed rank to its error's last line."""

    def __init__(self, failures: Dict[int, str]):
        self.failures = dict(sorted(failures.items()))
        super().__init__("; ".join(f"rank {rank}: {line}" for rank, line in self.failures.items()))


@dataclass
class RunResult:
    output: torch.Tensor  # always on the CPU, whatever the run's device
    hits: int
    misses: int
    wall: float  # seconds over all steps (rank 0's)
    device: str = "cpu"  # "cpu" or "cuda"
    step_times: Tuple[float, ...] = ()  # seconds, one per denoising step, synchronised on CUDA
    backend: str = ""  # "nccl" or "gloo" for spawned workers, "" in one process
    note: Optional[str] = None  # the fallback line, when there was one


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


def exact_float32() -> None:
    """Full float32 on CUDA: no TF32 in matrix products or convolutions, so a CUDA run can be
    held to the float32 tolerance against the CPU baseline."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def denoise(model, spec: RunSpec, state=None, step_times: Optional[list] = None) -> torch.Tensor:
    """``spec.steps`` denoising steps on the device of ``model``'s parameters; appends each step's
    seconds to ``step_times`` (synchronised on CUDA, so a step's kernels are inside its time)."""
    device = next(model.parameters()).device
    latent, caption = (x.to(device) for x in inputs(spec))
    cuda = device.type == "cuda"
    with torch.no_grad():
        for step in range(spec.steps):
            t = torch.full((1,), 1.0 - step / spec.steps, device=device)
            if cuda:
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            latent = latent - model(latent, t, caption) / spec.steps
            if cuda:
                torch.cuda.synchronize(device)
            if step_times is not None:
                step_times.append(time.perf_counter() - start)
    return latent


def _run_here(spec: RunSpec, device: torch.device, context=None) -> RunResult:
    from .cache import enable_cache

    if device.type == "cuda":
        exact_float32()
    model = build_model(spec).to(device)
    if context is not None:
        model.set_sequence_parallel(context)
    state = enable_cache(model, threshold=spec.threshold, backend=spec.cache_backend) if spec.cache else None
    if spec.wrap:
        module_name, _, function = spec.wrap.partition(":")
        getattr(importlib.import_module(module_name), function)(model)
    step_times: list = []
    output = denoise(model, spec, state, step_times)
    return RunResult(
        output.cpu(),
        state.hits if state else 0,
        state.misses if state else 0,
        sum(step_times),
        device.type,
        tuple(step_times),
    )


def _last_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}".rstrip(": ")


def _worker(rank: int, spec: RunSpec, placement, port: int, result_dir: str) -> None:
    """One rank. A failure is written to ``rank<N>.err`` (its last line) instead of raised, so
    the parent can say which ranks failed and how; the process group is shut down either way."""
    from . import distributed

    for path in spec.extra_paths:
        if path not in sys.path:
            sys.path.insert(0, path)
    torch.set_num_threads(1)
    try:
        context = distributed.init(rank, spec.world_size, spec.ulysses, spec.ring, port, placement.backend)
        try:
            result = _run_here(spec, placement.rank_device(rank), context)
            if rank == 0:
                torch.save(
                    {
                        "output": result.output,
                        "hits": result.hits,
                        "misses": result.misses,
                        "wall": result.wall,
                        "device": result.device,
                        "step_times": result.step_times,
                    },
                    os.path.join(result_dir, "result.pt"),
                )
        finally:
            distributed.shutdown()
    except Exception as exc:
        with open(os.path.join(result_dir, f"rank{rank}.err"), "w") as handle:
            handle.write(_last_line(exc))


def placement_for(spec: RunSpec):
    """The device and backend ``spec`` runs with (see ``reference_model.distributed.plan``)."""
    from .distributed import plan, resolve_device

    device = resolve_device(spec.device)
    return plan(device, spec.world_size, torch.cuda.device_count() if device == "cuda" else 0)


def run(spec: RunSpec, timeout: float = 120.0) -> RunResult:
    if spec.ulysses * spec.ring != spec.world_size:
        raise ValueError(f"ulysses ({spec.ulysses}) x ring ({spec.ring}) must equal the world size ({spec.world_size})")
    placement = placement_for(spec)
    if spec.world_size == 1:
        return _run_here(spec, placement.rank_device(0))
    from .distributed import free_port

    with tempfile.TemporaryDirectory() as tmp:
        context = mp.start_processes(
            _worker, args=(spec, placement, free_port(), tmp), nprocs=spec.world_size, join=False, start_method="spawn"
        )
        deadline = time.monotonic() + timeout
        try:
            while not context.join(timeout=max(0.1, deadline - time.monotonic())):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"workers did not finish within {timeout:.0f} s")
        finally:
            for process in context.processes:
                if process.is_alive():
                    process.kill()
        failures = {}
        for rank in range(spec.world_size):
            path = os.path.join(tmp, f"rank{rank}.err")
            if os.path.exists(path):
                with open(path) as handle:
                    failures[rank] = handle.read()
        if failures:
            raise WorkerError(failures)
        data = torch.load(os.path.join(tmp, "result.pt"))
    return RunResult(
        data["output"],
        data["hits"],
        data["misses"],
        data["wall"],
        data["device"],
        tuple(data["step_times"]),
        placement.backend,
        placement.note,
    )
