"""``python -m reference_model``: run a few denoising steps and print how each run compares with
the single-process, uncached baseline on the CPU."""

from __future__ import annotations

import argparse
import sys

from .runner import RunSpec, WorkerError, placement_for, run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_model", description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["legacy", "fixed"], default="fixed")
    parser.add_argument("--world-size", type=int, default=1)
    parser.add_argument("--ulysses", type=int, default=None, help="default: the world size")
    parser.add_argument("--ring", type=int, default=1)
    parser.add_argument("--cache", action="store_true", help="wrap the blocks in the block cache")
    parser.add_argument(
        "--cache-backend",
        choices=["builtin", "cache-dit"],
        default="builtin",
        help="the block cache: this package's own, or the cache-dit package (extra cache-dit)",
    )
    parser.add_argument("--threshold", type=float, default=0.1)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="auto",
        help="auto (the default): CUDA when available, else the CPU",
    )
    args = parser.parse_args(argv)
    ulysses = args.ulysses if args.ulysses is not None else max(1, args.world_size // args.ring)
    if args.world_size < 1 or args.steps < 1 or ulysses * args.ring != args.world_size:
        parser.error(f"--ulysses ({ulysses}) x --ring ({args.ring}) must equal --world-size ({args.world_size})")
    spec = RunSpec(
        args.variant,
        args.world_size,
        ulysses,
        args.ring,
        args.cache,
        args.threshold,
        args.steps,
        args.seed,
        cache_backend=args.cache_backend,
        device=args.device,
    )
    try:
        placement = placement_for(spec)
    except ValueError as exc:  # --device cuda without a GPU
        parser.error(str(exc))
    if placement.note:
        print(placement.note)
    baseline = run(RunSpec(steps=args.steps, seed=args.seed, device="cpu"))
    try:
        result = run(spec)
    except WorkerError as exc:  # say which ranks failed, and how
        for rank, line in exc.failures.items():
            print(f"{args.variant} run failed on rank {rank}: {line}", file=sys.stderr)
        return 1
    except Exception as exc:  # the legacy model under the cache fails: say how, no traceback
        print(f"{args.variant} run failed: {type(exc).__name__}: {str(exc).strip().splitlines()[-1]}", file=sys.stderr)
        return 1
    error = (result.output - baseline.output).abs().max().item()
    steps = " / ".join(f"{seconds * 1000:.1f}" for seconds in result.step_times)
    print(
        "| variant | device | world size | ulysses | ring | cache | cache hits | wall (s) "
        "| step times (ms) | max abs error |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.variant} | {result.device} | {args.world_size} | {ulysses} | {args.ring} | "
        f"{args.cache_backend if args.cache else 'off'} | {result.hits} | {result.wall:.3f} | {steps} | {error:.2e} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
