"""End to end on the reference model: `zlint fix` on a copy of the legacy form gives code that
imports, runs with sequence parallelism and the block cache, and matches the hand-written fixed
form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from reference_model.runner import RunSpec, run
from tests.helpers import check_tree, run_cli

REPO = Path(__file__).resolve().parents[1]
LEGACY = REPO / "reference_model" / "legacy"
ATOL = 1e-5


@pytest.fixture(scope="module")
def fixed_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("fixed")
    shutil.copytree(LEGACY, root / "zimage_fixed_by_zlint")
    out = run_cli(["fix", "--no-cache", "."], root)
    assert out.exit_code == 0, out.output
    assert check_tree(root).findings == []
    fixed_files = {p: p.read_bytes() for p in root.rglob("*.py")}
    run_cli(["fix", "--no-cache", "."], root)
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == fixed_files, "second fix must be a no-op"
    return root


def test_fixed_copy_runs_with_world_size_two_and_the_cache(fixed_copy):
    spec = dict(world_size=2, ring=2, cache=True, threshold=0.5, steps=6)
    reference = run(RunSpec(**spec))
    ours = run(RunSpec(model_module="zimage_fixed_by_zlint.model", extra_paths=(str(fixed_copy),), **spec))
    assert ours.hits == reference.hits > 0
    assert (ours.output - reference.output).abs().max().item() <= ATOL


def test_fixed_copy_needs_the_full_sequence_where_the_legacy_did(fixed_copy):
    spec = dict(world_size=2, ulysses=2, latent_size=6, cache=True, threshold=0.0)
    reference = run(RunSpec(**spec))
    ours = run(RunSpec(model_module="zimage_fixed_by_zlint.model", extra_paths=(str(fixed_copy),), **spec))
    assert (ours.output - reference.output).abs().max().item() <= ATOL


def test_the_fix_threads_the_flag_instead_of_setting_it(fixed_copy):
    source = (fixed_copy / "zimage_fixed_by_zlint" / "model.py").read_text()
    assert "layer.attention.attn.skip_sequence_parallel =" not in source
    assert "skip_sequence_parallel_override=use_full_unified_sequence" in source
    # The attribute is set from `skip_sequence_parallel: bool` in __init__, so the annotated
    # forwards get the same annotation as the hand-written fixed form.
    assert source.count("skip_sequence_parallel_override: Optional[bool] = None") == 3
    assert "from typing import Optional" in source
    assert torch.__version__  # the test ran the fixed code under torch
