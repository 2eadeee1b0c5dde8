"""Benchmark zlint against Ruff and the parse-everything floors on a pinned real corpus.

    python bench/run.py [--repeat 3] [--corpus bench/corpus]

Fetches diffusers 0.42.1 and transformers 5.23.0 with ``pip download --no-deps`` (once),
unpacks their Python packages, and runs, side by side in one session:

- ``ruff check --no-cache --select F`` and ``--select ALL`` (Ruff must be installed: ``pip
  install ruff``). ``--select F`` (Pyflakes: parse every file, resolve every name) is the fair
  anchor; ``--select ALL`` spends most of its time printing hundreds of megabytes of findings,
- ``zlint check --no-cache`` (cold), with all workers and with one,
- ``zlint check`` warm (cache filled, nothing changed) and after touching one file,
- ``ast.parse`` of every file, and of only the files zlint's byte pre-filter keeps, in as many
  processes as zlint uses, and ``libcst.parse_module`` of every file in one (the floors).

It prints one table of median wall times, CPU times (user + system of the measured process and
its children), the ratio to each Ruff anchor and the peak resident memory of the largest
process; then where a cold run's time goes, by stage (``ZLINT_PROFILE_STAGES``, see
lint/stages.py); and checks that zlint's findings are identical in every mode. Machines are
noisy: read the ratios, not the absolute times.
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
RUFF_F = "ruff check --no-cache --select F"
RUFF_ALL = "ruff check --no-cache --select ALL"

_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "before = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "wall = time.perf_counter() - start\n"
    "after = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)\n"
    "print(wall, after.ru_maxrss, proc.returncode, cpu)\n"
)

# ast.parse / libcst.parse_module of every file (or of those zlint's byte pre-filter keeps), in
# N processes: argv = kind, folder, "all"|"kept", N.
_FLOOR = (
    "import sys, pathlib, multiprocessing\n"
    "kind, root, which, procs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
    "def parse(f):\n"
    "    data = f.read_bytes()\n"
    "    if which == 'kept':\n"
    "        from zlint.prefilter import TextFilter\n"
    "        from zlint.rules import ALL_RULES\n"
    "        if not TextFilter.for_rules([r for r in ALL_RULES if r.default_enabled]).keeps(data): return\n"
    "    try:\n"
    "        if kind == 'ast':\n"
    "            import ast; ast.parse(data)\n"
    "        else:\n"
    "            import libcst; libcst.parse_module(data)\n"
    "    except Exception: pass\n"
    "if __name__ == '__main__':\n"
    "    files = sorted(pathlib.Path(root).rglob('*.py'))\n"
    "    if procs == 1: list(map(parse, files))\n"
    "    else:\n"
    "        with multiprocessing.get_context('fork').Pool(procs) as pool: pool.map(parse, files, chunksize=32)\n"
)


def fetch(corpus: Path) -> Path:
    tree = corpus / "tree"
    if all((tree / name).is_dir() for name in PACKAGES):
        return tree
    wheels = corpus / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), *PINNED], check=True)
    tree.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.split("/")[0] in PACKAGES:
                    archive.extract(member, tree)
    return tree


def measure(command, cwd: Path, env=None):
    """Wall seconds, peak RSS (MB) of the largest process, CPU seconds (user + system)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], cwd=cwd, capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024.0, float(out[3])


def find_ruff():
    """Ruff beside this interpreter (an unactivated virtual environment), on PATH, or the binary
    of the installed ``ruff`` Python package."""
    found = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    if found:
        return found
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        return None
    try:
        return os.fsdecode(find_ruff_bin())
    except FileNotFoundError:
        return None


def stage_profile(tree: Path) -> dict:
    """One cold run with ZLINT_PROFILE_STAGES: seconds per stage."""
    with tempfile.TemporaryDirectory(prefix="zlint-stages-") as folder:
        target = os.path.join(folder, "stages.json")
        env = dict(os.environ, ZLINT_PROFILE_STAGES=target)
        subprocess.run(zlint_command("--no-cache"), cwd=tree, capture_output=True, env=env)
        with open(target, encoding="utf-8") as handle:
            return json.load(handle)


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
    ruff = find_ruff()
    procs = str(os.cpu_count() or 1)  # zlint's default number of workers

    rows = []

    def run(label, command, prepare=None, repeat=None):
        walls, cpus, peak = [], [], 0.0
        for _ in range(repeat or args.repeat):
            if prepare:
                prepare()
            wall, rss, cpu = measure(command, tree)
            walls.append(wall)
            cpus.append(cpu)
            peak = max(peak, rss)
        rows.append((label, statistics.median(walls), statistics.median(cpus), peak))
        print(f"  {label}: {statistics.median(walls):.2f} s", file=sys.stderr)

    print(f"corpus: {len(files)} files, {lines} lines", file=sys.stderr)
    if ruff:
        run(RUFF_F, [ruff, "check", "--select", "F", "--no-cache", "--exit-zero", "-q", "."])
        run(RUFF_ALL, [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q", "."])
    run("zlint check --no-cache (all workers)", zlint_command("--no-cache"))
    run("zlint check --no-cache -j 1", zlint_command("--no-cache", "-j", "1"))
    subprocess.run(zlint_command("--cache-dir", str(cache)), cwd=tree, capture_output=True)
    run("zlint check warm (cache, unchanged)", zlint_command("--cache-dir", str(cache)))
    run(
        "zlint check after touching one file",
        zlint_command("--cache-dir", str(cache)),
        prepare=lambda: os.utime(touched),
    )
    # SARIF uses the cache and the workers as JSON does; only the fixes are planned again, in
    # this process, for the files that have fixable findings.
    run("zlint check --no-cache --output-format sarif", zlint_sarif_command("--no-cache"))
    subprocess.run(zlint_sarif_command("--cache-dir", str(cache)), cwd=tree, capture_output=True)
    run("zlint check warm --output-format sarif", zlint_sarif_command("--cache-dir", str(cache)))
    run(f"ast.parse every file ({procs} processes)", [sys.executable, "-c", _FLOOR, "ast", ".", "all", procs])
    run(
        f"ast.parse, files the pre-filter keeps ({procs} proc.)",
        [sys.executable, "-c", _FLOOR, "ast", ".", "kept", procs],
    )
    if not args.skip_floors:
        # Minutes per run: measured once.
        run(
            "libcst.parse_module every file (1 process)",
            [sys.executable, "-c", _FLOOR, "libcst", ".", "all", "1"],
            repeat=1,
        )
    stages = stage_profile(tree)

    modes = {
        "cold": findings(tree, "--no-cache"),
        "one worker": findings(tree, "--no-cache", "-j", "1"),
        "warm": findings(tree, "--cache-dir", str(cache)),
    }
    identical = all(result == modes["cold"] for result in modes.values())
    shutil.rmtree(cache, ignore_errors=True)

    walls = {label: wall for label, wall, _, _ in rows}
    anchor_f, anchor_all = walls.get(RUFF_F), walls.get(RUFF_ALL)
    print(
        f"\nzlint benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(f"corpus: {', '.join(PINNED)} ({len(files)} files, {lines} lines), median of {args.repeat}")
    print(
        "`vs ruff F` is the fair comparison (Ruff's Pyflakes pass parses every file and resolves every name);"
        " `--select ALL` mostly prints.\n"
    )
    print(
        f"| {'run':<50} | {'wall (s)':>8} | {'CPU (s)':>7} | {'vs ruff F':>9} | {'vs ruff ALL':>11} "
        f"| {'peak RSS (MB)':>13} |"
    )
    print(f"|{'-' * 52}|{'-' * 10}|{'-' * 9}|{'-' * 11}|{'-' * 13}|{'-' * 15}|")
    for label, wall, cpu, peak in rows:
        ratio_f = f"{wall / anchor_f:.2f}x" if anchor_f else "n/a"
        ratio_all = f"{wall / anchor_all:.2f}x" if anchor_all else "n/a"
        print(f"| {label:<50} | {wall:>8.2f} | {cpu:>7.2f} | {ratio_f:>9} | {ratio_all:>11} | {peak:>13.0f} |")
    print(
        "\nWhere a cold run's time goes (one run, ZLINT_PROFILE_STAGES; per-file stages are summed over the"
        " worker processes, so they add up to about the CPU time, not the wall time):\n"
    )
    print(f"| {'stage':<56} | {'seconds':>8} |")
    print(f"|{'-' * 58}|{'-' * 10}|")
    for where, key in (("per file", "per_file_stages_summed_over_processes"), ("main process", "main_process")):
        for stage, seconds in sorted(stages.get(key, {}).items(), key=lambda item: -item[1]):
            print(f"| {where + ': ' + stage:<56} | {seconds:>8.2f} |")
    for sarif, json_label in (
        ("zlint check --no-cache --output-format sarif", "zlint check --no-cache (all workers)"),
        ("zlint check warm --output-format sarif", "zlint check warm (cache, unchanged)"),
    ):
        print(f"SARIF vs JSON: {sarif}: {walls[sarif] / walls[json_label]:.2f}x of `{json_label}`")
    print(f"\nfindings: {len(modes['cold'])}; identical in every mode: {'yes' if identical else 'NO'}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
