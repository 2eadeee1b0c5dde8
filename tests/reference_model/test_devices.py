"""Where the reference model runs: ``--device``, the backend each world size gets, the results
table's device column and step times, and the runs on CUDA.

The tests marked ``needs_cuda`` / ``needs_two_gpus`` run only where such GPUs are present; on a
CPU-only machine pytest reports them as skipped, with the reason (``pytest -rs`` lists them).
Tolerances: ``tests/reference_model/tolerance.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from reference_model.distributed import plan, resolve_device
from reference_model.runner import RunSpec, WorkerError, run
from tests.reference_model.tolerance import ATOL, CACHE_BOUND, CUDA_ATOL

REPO = Path(__file__).resolve().parents[2]
GPUS = torch.cuda.device_count() if torch.cuda.is_available() else 0
needs_cuda = pytest.mark.skipif(GPUS < 1, reason="needs a CUDA GPU: none is present on this machine")
needs_two_gpus = pytest.mark.skipif(GPUS < 2, reason=f"needs 2 CUDA GPUs for NCCL, one a rank: {GPUS} present")


def _error(a, b) -> float:
    return (a.output - b.output).abs().max().item()


def _cli(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "reference_model", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def _table(stdout: str):
    lines = [line for line in stdout.strip().splitlines() if line.startswith("|")]
    header, row = ([c.strip() for c in line.strip("|").split("|")] for line in (lines[0], lines[-1]))
    return dict(zip(header, row))


# --- the choice of device and backend (no GPU needed) ---


def test_backend_plan_for_every_kind_of_machine():
    cpu = plan("cpu", 4, 0)
    assert (cpu.backend, cpu.note, cpu.rank_device(3)) == ("gloo", None, torch.device("cpu"))
    nccl = plan("cuda", 2, 2)  # every rank has a GPU of its own
    assert (nccl.backend, nccl.note) == ("nccl", None)
    assert [nccl.rank_device(r) for r in range(2)] == [torch.device("cuda", 0), torch.device("cuda", 1)]
    one = plan("cuda", 2, 1)  # more ranks than GPUs: gloo, the ranks share the GPU
    assert one.backend == "gloo" and one.device == "cuda"
    assert one.note == "world size 2 exceeds the 1 GPU(s) present: gloo on CPU tensors, the ranks share cuda:0"
    assert [one.rank_device(r) for r in range(2)] == [torch.device("cuda", 0)] * 2
    two = plan("cuda", 4, 2)
    assert two.backend == "gloo" and "the ranks share cuda:0..1" in two.note
    assert [two.rank_device(r).index for r in range(4)] == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="at least one GPU"):
        plan("cuda", 1, 0)


def test_device_auto_follows_cuda_and_unknown_devices_are_refused():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        resolve_device("tpu")


@pytest.mark.skipif(GPUS > 0, reason="a CUDA GPU is present, so --device cuda is accepted here")
def test_device_cuda_without_a_gpu_is_a_clear_usage_error():
    proc = _cli("--device", "cuda", timeout=60)
    assert proc.returncode == 2 and "no CUDA device is available" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_table_has_the_device_and_one_time_per_step():
    proc = _cli("--device", "cpu", "--steps", "4")
    assert proc.returncode == 0, proc.stderr
    cells = _table(proc.stdout)
    assert cells["device"] == "cpu" and float(cells["max abs error"]) == 0.0  # the CPU baseline itself
    steps = [float(ms) for ms in cells["step times (ms)"].split(" / ")]
    assert len(steps) == 4 and all(ms > 0 for ms in steps)
    assert sum(steps) / 1000 == pytest.approx(float(cells["wall (s)"]), abs=0.002)  # wall is their sum


def test_a_failed_run_names_every_rank_that_failed():
    with pytest.raises(WorkerError) as caught:
        run(RunSpec(variant="legacy", world_size=2, ulysses=2, cache=True, device="cpu"))
    assert caught.value.failures == {
        rank: "AttributeError: 'CachedBlock' object has no attribute 'attention'" for rank in (0, 1)
    }


def test_pairwise_all_to_all_equals_the_backends_own(tmp_path):
    # Where gloo has no all-to-all (torch before 2.13), the Ulysses exchange is made of
    # point-to-point messages; here, where gloo has one, both must deliver the same chunks.
    import torch.multiprocessing as mp

    from reference_model.distributed import free_port
    from tests.reference_model.support import all_to_all_both_ways

    mp.start_processes(all_to_all_both_ways, args=(4, free_port(), str(tmp_path)), nprocs=4, start_method="spawn")
    for rank in range(4):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        group = [rank - rank % 2, rank - rank % 2 + 1]  # the Ulysses group: ranks 0, 1 or 2, 3
        expected = [torch.full((2, 3), 10.0 * peer + rank % 2) for peer in group]
        assert all(torch.equal(a, b) for a, b in zip(got["pairwise"], expected))
        if got["native"] is not None:  # the backend has its own all-to-all
            assert all(torch.equal(a, b) for a, b in zip(got["native"], expected))


# --- one GPU ---


@needs_cuda
@pytest.mark.parametrize("variant,cache", [("fixed", False), ("fixed", True), ("legacy", False)])
def test_one_gpu_matches_the_cpu_baseline(variant, cache):
    # (The legacy form under the cache cannot run: test_legacy_form_under_the_cache_fails_on_cuda.)
    baseline = run(RunSpec(device="cpu"))
    got = run(RunSpec(variant=variant, cache=cache, threshold=0.0, device="cuda"))
    print(f"\n{variant} cache={cache}: CUDA vs CPU max abs error {_error(got, baseline):.2e}")
    assert got.device == "cuda" and len(got.step_times) == 3
    assert _error(got, baseline) <= CUDA_ATOL


@needs_cuda
@pytest.mark.parametrize("backend", ["builtin", "cache-dit"])
def test_legacy_form_under_the_cache_fails_on_cuda(backend):
    if backend == "cache-dit":
        pytest.importorskip("cache_dit", reason="the cache-dit extra is not installed")
    from reference_model.cache import enable_cache
    from reference_model.runner import build_model, denoise

    wrapper = "CachedBlock" if backend == "builtin" else "CachedBlocks_Pattern_3_4_5"
    model = build_model(RunSpec(variant="legacy")).to("cuda")
    enable_cache(model, threshold=0.1, backend=backend)
    with pytest.raises(AttributeError, match=f"'{wrapper}' object has no attribute 'attention'"):
        denoise(model, RunSpec())


@needs_cuda
def test_cache_dit_on_cuda_caches_and_stays_close():
    pytest.importorskip("cache_dit", reason="the cache-dit extra is not installed")
    plain = run(RunSpec(steps=6, device="cuda"))
    zero = run(RunSpec(steps=6, cache=True, cache_backend="cache-dit", threshold=0.0, device="cuda"))
    assert torch.equal(zero.output, plain.output) and zero.hits == 0
    cached = run(RunSpec(steps=6, cache=True, cache_backend="cache-dit", threshold=0.5, device="cuda"))
    assert cached.hits > 0 and 0 < _error(cached, plain) <= CACHE_BOUND


def _fallback_world():
    """A world size larger than the GPUs present, with a 2-way layout; None where too many GPUs."""
    return {1: 2, 2: 4, 3: 4}.get(GPUS)


@needs_cuda
@pytest.mark.parametrize("layout", [dict(ulysses=2), dict(ring=2)], ids=["ulysses", "ring"])
def test_more_ranks_than_gpus_fall_back_to_gloo(layout):
    world = _fallback_world()
    if world is None:
        pytest.skip(f"{GPUS} GPUs: the fallback test is written for 1 to 3")
    degrees = dict(ulysses=world // layout.get("ring", 1), ring=layout.get("ring", 1))
    baseline = run(RunSpec(device="cpu"))
    got = run(RunSpec(world_size=world, device="cuda", **degrees))
    assert (got.device, got.backend) == ("cuda", "gloo") and "gloo on CPU tensors" in got.note
    assert _error(got, baseline) <= CUDA_ATOL
    single = run(RunSpec(steps=6, cache=True, threshold=0.5, device="cuda"))
    cached = run(RunSpec(world_size=world, steps=6, cache=True, threshold=0.5, device="cuda", **degrees))
    assert cached.hits == single.hits > 0 and _error(cached, single) <= ATOL


@needs_cuda
def test_command_line_on_one_gpu_says_it_falls_back():
    if _fallback_world() != 2:
        pytest.skip(f"{GPUS} GPUs: world size 2 does not fall back here")
    proc = _cli("--device", "cuda", "--world-size", "2", "--cache")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "world size 2 exceeds the 1 GPU(s) present: gloo on CPU tensors, the ranks share cuda:0"
    )
    cells = _table(proc.stdout)
    assert cells["device"] == "cuda" and float(cells["max abs error"]) <= CUDA_ATOL


# --- several GPUs through NCCL ---


@needs_two_gpus
@pytest.mark.parametrize("layout", [dict(ulysses=2), dict(ring=2)], ids=["ulysses", "ring"])
@pytest.mark.parametrize("backend", ["builtin", "cache-dit"])
def test_two_gpus_through_nccl(layout, backend):
    if backend == "cache-dit":
        pytest.importorskip("cache_dit", reason="the cache-dit extra is not installed")
    cache = dict(cache=True, cache_backend=backend, threshold=0.5, steps=6)
    baseline = run(RunSpec(device="cpu"))
    got = run(RunSpec(world_size=2, device="cuda", **layout))
    assert (got.device, got.backend, got.note) == ("cuda", "nccl", None)
    assert _error(got, baseline) <= CUDA_ATOL
    single = run(RunSpec(device="cuda", **cache))
    cached = run(RunSpec(world_size=2, device="cuda", **layout, **cache))
    assert cached.hits == single.hits > 0 and _error(cached, single) <= ATOL
    wrapper = "CachedBlock" if backend == "builtin" else "CachedBlocks_Pattern_3_4_5"
    with pytest.raises(WorkerError) as caught:  # both ranks fail, and both shut down
        run(RunSpec(variant="legacy", world_size=2, device="cuda", **layout, **cache), timeout=120)
    assert caught.value.failures == {
        rank: f"AttributeError: '{wrapper}' object has no attribute 'attention'" for rank in (0, 1)
    }


@pytest.mark.skipif(GPUS < 4, reason=f"needs 4 CUDA GPUs for NCCL 2 x 2: {GPUS} present")
def test_four_gpus_through_nccl_ulysses_by_ring():
    baseline = run(RunSpec(device="cpu"))
    got = run(RunSpec(world_size=4, ulysses=2, ring=2, device="cuda"))
    assert got.backend == "nccl" and _error(got, baseline) <= CUDA_ATOL
