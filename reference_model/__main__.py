"""``python -m reference_model``: run a few denoising steps and print how each run compares with
the single-process, uncached baseline."""

from __future__ import annotations

import argparse
import sys

from .runner import RunSpec, run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_model", description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["legacy", "fixed"], default="fixed")
    parser.add_argument("--world-size", type=int, default=1)
    parser.add_argument("--ulysses", type=int, default=None, help="default: the world size")
    parser.add_argument("--ring", type=int, default=1)
    parser.add_argument("--cache", action="store_true", help="wrap the blocks in the block cache")
    parser.add_argument("--cache-backend", choices=["builtin", "cache-dit"], default="builtin",
                        help="the block cache: this package's own, or the cache-dit package (extra cache-dit)")
    parser.add_argument("--threshold", type=float, default=0.1)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ulysses = args.ulysses if args.ulysses is not None else max(1, args.world_size // args.ring)
    if args.world_size < 1 or args.steps < 1 or ulysses * args.ring != args.world_size:
        parser.error(f"--ulysses ({ulysses}) x --ring ({args.ring}) must equal --world-size ({args.world_size})")
    spec = RunSpec(args.variant, args.world_size, ulysses, args.ring, args.cache, args.threshold, args.steps, args.seed,
                   cache_backend=args.cache_backend)
    baseline = run(RunSpec(steps=args.steps, seed=args.seed))
    try:
        result = run(spec)
    except Exception as exc:  # the legacy model under the cache fails: say how, no traceback
        print(f"{args.variant} run failed: {type(exc).__name__}: {str(exc).strip().splitlines()[-1]}", file=sys.stderr)
        return 1
    error = (result.output - baseline.output).abs().max().item()
    print("| variant | world size | ulysses | ring | cache | cache hits | wall (s) | max abs error |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.variant} | {args.world_size} | {ulysses} | {args.ring} | {args.cache_backend if args.cache else 'off'} | "
          f"{result.hits} | {result.wall:.3f} | {error:.2e} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
