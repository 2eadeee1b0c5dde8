"""The reference model under the real ``cache-dit`` block cache (extra ``cache-dit``): the fixed
form runs and caches, the legacy form fails exactly as the serving incident did, and the code
``zlint fix`` makes from the legacy form runs under it.

Tolerances as in ``test_reference_model``: ``ATOL`` for runs that only distribute the work
differently, ``CACHE_BOUND`` for a cache with a positive threshold over 6 steps.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from reference_model.runner import RunSpec, build_model, denoise, run
from tests.helpers import run_cli
from tests.reference_model.tolerance import CUDA_ATOL

REPO = Path(__file__).resolve().parents[2]
ATOL = 1e-5
CACHE_BOUND = 0.1
CACHE_DIT = dict(cache=True, cache_backend="cache-dit", steps=6)


def _error(a, b) -> float:
    return (a.output - b.output).abs().max().item()


def test_cache_dit_threshold_zero_is_identical_and_positive_threshold_hits():
    plain = run(RunSpec(steps=6))
    zero = run(RunSpec(threshold=0.0, **CACHE_DIT))
    assert torch.equal(zero.output, plain.output) and zero.hits == 0 and zero.misses == 6
    cached = run(RunSpec(threshold=0.5, **CACHE_DIT))
    assert cached.hits > 0 and cached.hits + cached.misses == 6
    assert 0 < _error(cached, plain) <= CACHE_BOUND


@pytest.mark.slow
def test_cache_dit_at_world_size_two_agrees_with_one_process():
    # cache-dit averages its decision over the ranks, so sharded ranks skip the same blocks.
    single = run(RunSpec(threshold=0.5, **CACHE_DIT))
    for layout in (dict(ulysses=2), dict(ring=2)):
        parallel = run(RunSpec(threshold=0.5, world_size=2, **layout, **CACHE_DIT))
        assert parallel.hits == single.hits > 0
        assert _error(parallel, single) <= ATOL


def test_legacy_form_under_cache_dit_fails_like_the_incident():
    from reference_model.cache import enable_cache

    model = build_model(RunSpec(variant="legacy"))
    enable_cache(model, threshold=0.1, backend="cache-dit")
    with pytest.raises(AttributeError, match="'CachedBlocks_Pattern_3_4_5' object has no attribute 'attention'"):
        denoise(model, RunSpec())


@pytest.mark.slow
def test_zlint_fixed_legacy_form_runs_under_cache_dit(tmp_path):
    shutil.copytree(REPO / "reference_model" / "legacy", tmp_path / "zimage_fixed_for_cache_dit")
    assert run_cli(["fix", "--no-cache", "."], tmp_path).exit_code == 0
    spec = dict(world_size=2, ring=2, threshold=0.5, **CACHE_DIT)
    reference = run(RunSpec(**spec))
    ours = run(RunSpec(model_module="zimage_fixed_for_cache_dit.model", extra_paths=(str(tmp_path),), **spec))
    assert ours.hits == reference.hits > 0
    assert _error(ours, reference) <= ATOL


@pytest.mark.slow
def test_command_line_runs_cache_dit_and_reports_the_legacy_failure():
    fixed = subprocess.run(
        [sys.executable, "-m", "reference_model", "--cache", "--cache-backend", "cache-dit", "--threshold", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fixed.returncode == 0, fixed.stderr
    cells = [c.strip() for c in fixed.stdout.strip().splitlines()[-1].strip("|").split("|")]
    assert cells[5] == "cache-dit" and cells[6] == "0"
    # Threshold 0 never caches: on the CPU the run is the baseline bit for bit; on CUDA it is
    # the baseline within the CUDA tolerance.
    if cells[1] == "cpu":
        assert float(cells[-1]) == 0.0
    else:
        assert cells[1] == "cuda" and float(cells[-1]) <= CUDA_ATOL
    legacy = subprocess.run(
        [sys.executable, "-m", "reference_model", "--variant", "legacy", "--cache", "--cache-backend", "cache-dit"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert legacy.returncode == 1
    assert "'CachedBlocks_Pattern_3_4_5' object has no attribute 'attention'" in legacy.stderr
    assert "Traceback" not in legacy.stderr


def test_unknown_cache_backend_is_refused():
    from reference_model.cache import enable_cache

    with pytest.raises(ValueError, match="unknown cache backend"):
        enable_cache(build_model(RunSpec()), backend="teacache")
