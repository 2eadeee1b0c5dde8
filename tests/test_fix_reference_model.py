"""End to end on the bundled legacy model: `zlint fix` output imports, runs, matches the legacy
model's numbers, and keeps working when a wrapper stands between the model and its blocks."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from tests.helpers import check_tree, run_cli

REPO = Path(__file__).resolve().parents[1]
LEGACY = REPO / "reference_model" / "legacy"


class BlockWrapper(nn.Module):
    """Stands between the model's loop and a block, as a block cache does: it forwards calls but
    is not the block, so `wrapper.attention` does not exist."""

    def __init__(self, block: nn.Module):
        super().__init__()
        self.block = block

    def forward(self, *args, **kwargs):
        return self.block(*args, **kwargs)


@pytest.fixture(scope="module")
def fixed_package(tmp_path_factory):
    root = tmp_path_factory.mktemp("fixed")
    shutil.copytree(LEGACY, root / "zimage_fixed_by_zlint")
    out = run_cli(["fix", "--no-cache", "."], root)
    assert out.exit_code == 0, out.output
    assert check_tree(root).findings == []
    fixed_files = {p: p.read_bytes() for p in root.rglob("*.py")}
    run_cli(["fix", "--no-cache", "."], root)
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == fixed_files, "second fix must be a no-op"
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("zimage_fixed_by_zlint.model")
    finally:
        sys.path.remove(str(root))


def _inputs(seed: int, caption_tokens: int):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 16, 16, generator=generator)  # 16 patch tokens of 2x2x4 values
    t = torch.rand(2, generator=generator)
    caption = torch.randn(2, caption_tokens, 64, generator=generator)
    return x, t, caption


def _pair(fixed_module):
    from reference_model.legacy.model import ZImageModel as LegacyModel

    torch.manual_seed(0)
    legacy = LegacyModel().eval()
    fixed = fixed_module.ZImageModel().eval()
    fixed.load_state_dict(legacy.state_dict())
    return legacy, fixed


@pytest.mark.parametrize("caption_tokens,world_size", [(8, 1), (8, 2), (7, 2), (5, 3)])
def test_fixed_model_matches_legacy(fixed_package, caption_tokens, world_size):
    legacy, fixed = _pair(fixed_package)
    x, t, caption = _inputs(1, caption_tokens)
    with torch.no_grad():
        expected = legacy(x, t, caption, world_size=world_size)
        got = fixed(x, t, caption, world_size=world_size)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_legacy_breaks_under_a_block_wrapper_and_the_fix_does_not(fixed_package):
    legacy, fixed = _pair(fixed_package)
    x, t, caption = _inputs(2, 8)
    with torch.no_grad():
        expected = fixed(x, t, caption)
    for model in (legacy, fixed):
        model.layers = nn.ModuleList([BlockWrapper(block) for block in model.layers])
    with pytest.raises(AttributeError, match="'BlockWrapper' object has no attribute 'attention'"):
        with torch.no_grad():
            legacy(x, t, caption)
    with torch.no_grad():
        torch.testing.assert_close(fixed(x, t, caption), expected, rtol=0, atol=0)


def test_fixed_model_takes_the_flag_as_an_argument(fixed_package):
    import inspect

    from zimage_fixed_by_zlint.usp_attention import USPAttention

    assert "skip_sequence_parallel_override" in inspect.signature(USPAttention.forward).parameters
    source = (Path(fixed_package.__file__)).read_text()
    assert "layer.attention.attn.skip_sequence_parallel" not in source
    assert "skip_sequence_parallel_override=use_full_unified_sequence" in source
