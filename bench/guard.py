"""Overhead of the runtime guard on a forward pass of the reference model.

    python bench/guard.py [--repeat 50]

Runs the legacy model's forward with and without ``ForwardGuard`` side by side, interleaved,
and prints the median time per forward and the ratio. Needs torch (``pip install -e '.[reference]'``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from zlint.guard import ForwardGuard  # noqa: E402
from reference_model.runner import RunSpec, build_model, inputs  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = build_model(RunSpec(variant="legacy"))
    latent, caption = inputs(RunSpec(latent_size=16, caption_tokens=8))
    inputs_ = (latent, torch.ones(1), caption)
    plain, guarded = [], []
    with torch.no_grad():
        for _ in range(5):
            model(*inputs_)
        for _ in range(args.repeat):
            start = time.perf_counter()
            model(*inputs_)
            plain.append(time.perf_counter() - start)
            with ForwardGuard() as guard:
                start = time.perf_counter()
                model(*inputs_)
                guarded.append(time.perf_counter() - start)
    a, b = statistics.median(plain), statistics.median(guarded)
    print("| forward of the reference model (4 blocks) | median (ms) | ratio |")
    print("|---|---|---|")
    print(f"| without the guard | {a * 1e3:.3f} | 1.00x |")
    print(f"| with the guard (recording {len(guard.records)} writes) | {b * 1e3:.3f} | {b / a:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
