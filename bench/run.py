"""Benchmark zlint against Ruff and the parse-everything floors on a pinned real corpus.

    python bench/run.py [--repeat 3] [--corpus bench/corpus]

Fetches diffusers 0.42.1 and transformers 5.23.0 with ``pip download --no-deps`` (once),
unpacks their Python packages, and runs, side by side in one session:

- ``ruff check --select ALL --no-cache`` (Ruff must be installed: ``pip install ruff``),
- ``zlint check --no-cache`` (cold), with all workers and with one,
- ``zlint check`` warm (cache filled, nothing changed) and after touching one file,
- ``ast.parse`` and ``libcst.parse_module`` of every file in one process (the floors).

It prints one table of median wall times, the ratio to Ruff, and the peak resident memory of
the largest process, and checks that zlint's findings are identical in every mode. Machines
are noisy: read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PINNED = ["diffusers==0.42.1", "transformers==5.23.0"]
PACKAGES = ["diffusers", "transformers"]

_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "wall = time.perf_counter() - start\n"
    "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, proc.returncode)\n"
)

_FLOOR = (
    "import sys, pathlib\n"
    "kind = sys.argv[1]\n"
    "files = [p for p in pathlib.Path(sys.argv[2]).rglob('*.py')]\n"
    "if kind == 'ast':\n"
    "    import ast\n"
    "    for f in files:\n"
    "        try: ast.parse(f.read_bytes())\n"
    "        except Exception: pass\n"
    "else:\n"
    "    import libcst\n"
    "    for f in files:\n"
    "        try: libcst.parse_module(f.read_bytes())\n"
    "        except Exception: pass\n"
)


def fetch(corpus: Path) -> Path:
    tree = corpus / "tree"
    if all((tree / name).is_dir() for name in PACKAGES):
        return tree
    wheels = corpus / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), *PINNED], check=True
    )
    tree.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.split("/")[0] in PACKAGES:
                    archive.extract(member, tree)
    return tree


def measure(command, cwd: Path):
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024.0


def zlint_command(*args):
    return [sys.executable, "-m", "zlint", "check", "--output-format", "json", "--exit-zero", *args, "."]


def zlint_sarif_command(*args):
    return [sys.executable, "-m", "zlint", "check", "--output-format", "sarif", "--exit-zero", *args, "."]


def findings(tree: Path, *args) -> list:
    proc = subprocess.run(zlint_command(*args), cwd=tree, capture_output=True, text=True)
    document = json.loads(proc.stdout)
    return [(f["filename"], f["location"]["row"], f["location"]["column"], f["code"]) for f in document["findings"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "corpus")
    parser.add_argument("--skip-floors", action="store_true", help="skip the slow LibCST floor")
    args = parser.parse_args()

    tree = fetch(args.corpus)
    files = list(tree.rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    cache = Path(tempfile.mkdtemp(prefix="zlint-bench-cache-"))
    touched = tree / "diffusers" / "models" / "transformers" / "transformer_z_image.py"
    # Ruff beside this interpreter (an unactivated virtual environment) first, then on PATH.
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")

    rows = []

    def run(label, command, prepare=None, repeat=None):
        walls, peak = [], 0.0
        for _ in range(repeat or args.repeat):
            if prepare:
                prepare()
            wall, rss = measure(command, tree)
            walls.append(wall)
            peak = max(peak, rss)
        rows.append((label, statistics.median(walls), peak))
        print(f"  {label}: {statistics.median(walls):.2f} s", file=sys.stderr)

    print(f"corpus: {len(files)} files, {lines} lines", file=sys.stderr)
    if ruff:
        run("ruff check --select ALL --no-cache", [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q", "."])
    run("zlint check --no-cache (all workers)", zlint_command("--no-cache"))
    run("zlint check --no-cache -j 1", zlint_command("--no-cache", "-j", "1"))
    subprocess.run(zlint_command("--cache-dir", str(cache)), cwd=tree, capture_output=True)
    run("zlint check warm (cache, unchanged)", zlint_command("--cache-dir", str(cache)))
    run("zlint check after touching one file", zlint_command("--cache-dir", str(cache)), prepare=lambda: os.utime(touched))
    # SARIF uses the cache and the workers as JSON does; only the fixes are planned again, in
    # this process, for the files that have fixable findings.
    run("zlint check --no-cache --output-format sarif", zlint_sarif_command("--no-cache"))
    subprocess.run(zlint_sarif_command("--cache-dir", str(cache)), cwd=tree, capture_output=True)
    run("zlint check warm --output-format sarif", zlint_sarif_command("--cache-dir", str(cache)))
    run("ast.parse every file (1 process)", [sys.executable, "-c", _FLOOR, "ast", "."])
    if not args.skip_floors:
        # Minutes per run: measured once.
        run("libcst.parse_module every file (1 process)", [sys.executable, "-c", _FLOOR, "libcst", "."], repeat=1)

    modes = {
        "cold": findings(tree, "--no-cache"),
        "one worker": findings(tree, "--no-cache", "-j", "1"),
        "warm": findings(tree, "--cache-dir", str(cache)),
    }
    identical = all(result == modes["cold"] for result in modes.values())
    shutil.rmtree(cache, ignore_errors=True)

    base = rows[0][1] if ruff else None
    print(f"\nzlint benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print(f"corpus: {', '.join(PINNED)} ({len(files)} files, {lines} lines), median of {args.repeat}\n")
    print(f"| {'run':<44} | {'wall (s)':>8} | {'vs ruff':>7} | {'peak RSS (MB)':>13} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 9}|{'-' * 15}|")
    for label, wall, peak in rows:
        ratio = f"{wall / base:.2f}x" if base else "n/a"
        print(f"| {label:<44} | {wall:>8.2f} | {ratio:>7} | {peak:>13.0f} |")
    walls = {label: wall for label, wall, _ in rows}
    for sarif, json_label in (("zlint check --no-cache --output-format sarif", "zlint check --no-cache (all workers)"),
                              ("zlint check warm --output-format sarif", "zlint check warm (cache, unchanged)")):
        print(f"SARIF vs JSON: {sarif}: {walls[sarif] / walls[json_label]:.2f}x of `{json_label}`")
    print(f"\nfindings: {len(modes['cold'])}; identical in every mode: {'yes' if identical else 'NO'}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
