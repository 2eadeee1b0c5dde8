"""The reference model under ``torch.compile``: does flipping ``skip_sequence_parallel`` between
steps recompile, in the legacy form (an attribute the loop sets) and in the fixed form (an
argument)? Counted with dynamo's own counters.

The backend is dynamo's ``CompileCounter``: it counts the graphs dynamo hands it and runs each
as captured (eager), so the test measures dynamo's guards and recompiles, not inductor's code
generation, and stays fast on a CPU. Tracing and guards are the same whatever backend follows.

Observed (torch 2.13): both forms specialise on the flag. Compiled block by block, the first
call with each value compiles a graph (two graphs in all), and later flips reuse them; neither
form recompiles more than the other. Compiled whole at world size 1, the legacy form's write
``layer.attention.attn.skip_sequence_parallel = ...`` inside ``forward`` is traced as a side
effect: one full graph, no recompile over the steps, the same as the fixed form.
"""

from __future__ import annotations

import pytest
import torch
import torch._dynamo
from torch._dynamo.testing import CompileCounter
from torch._dynamo.utils import counters

from reference_model.layers import rope_2d
from reference_model.runner import RunSpec, build_model, denoise
from tests.reference_model.tolerance import ATOL

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(
            not torch.cuda.is_available(), reason="needs a CUDA GPU: none is present on this machine"
        ),
    ),
]


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    counters.clear()
    yield
    torch._dynamo.reset()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("variant", ["legacy", "fixed"])
def test_flipping_the_flag_between_steps_compiles_one_graph_per_value(variant, device):
    block = build_model(RunSpec(variant=variant)).layers[0].to(device)
    attn = block.attention.attn
    counter = CompileCounter()
    compiled = torch.compile(block, backend=counter, fullgraph=True)
    x, c = torch.randn(1, 21, 32, device=device), torch.randn(1, 32, device=device)
    angles = rope_2d(4, 4, 8, device)  # 16 image tokens, then 5 caption tokens
    graphs = []
    with torch.no_grad():
        for flag in (True, False, True, False):  # what the loop decides, step by step
            if variant == "legacy":
                attn.skip_sequence_parallel = flag  # the legacy loop sets the attribute
                out = compiled(x, c, angles, 5)
            else:
                out = compiled(x, c, angles, 5, skip_sequence_parallel_override=flag)
            graphs.append(counter.frame_count)
            assert torch.allclose(out, block(x, c, angles, 5), atol=ATOL)
    # One compile for True, one recompile at the first False, no compile after that.
    assert graphs == [1, 2, 2, 2]
    assert counters["stats"]["unique_graphs"] == 2


@pytest.mark.parametrize("variant", ["legacy", "fixed"])
def test_whole_model_compiles_once_over_the_steps(variant):
    eager = denoise(build_model(RunSpec(variant=variant)), RunSpec())
    model = build_model(RunSpec(variant=variant))
    counter = CompileCounter()
    model.forward = torch.compile(model.forward, backend=counter, fullgraph=True)  # no graph break
    compiled = denoise(model, RunSpec())  # 3 steps
    assert counter.frame_count == 1 and counters["stats"]["unique_graphs"] == 1
    assert (compiled - eager).abs().max().item() <= ATOL
    if variant == "legacy":  # the traced write happened: the flag stays where forward left it
        assert all(layer.attention.attn.skip_sequence_parallel for layer in model.layers)
