"""Cold-run speed of this tree against an earlier revision, with Ruff as the anchor, in one run.

    python bench/before_after.py --base REV [--repeat 3] [--corpus bench/corpus] [--jobs N]

Exports ``lint/`` and ``rules/`` of revision REV (``git archive``) into a temporary folder laid
out as the installed package (``zlint`` and ``zlint.rules``), and times, alternating so that
machine noise falls on every row alike:

- ``ruff check --no-cache --select F`` (parse every file, resolve every name: the fair anchor),
- ``ruff check --no-cache --select ALL`` (mostly printing diagnostics),
- ``zlint check --no-cache`` of REV and of this tree (all workers, or ``--jobs``).

It prints the median wall time of each, their ratio to each Ruff anchor, and the number of
findings each zlint reports. The corpus is bench/run.py's (diffusers and transformers), fetched
by it on first use. Read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def export_revision(revision: str, target: Path) -> Path:
    """``lint/`` and ``rules/`` of ``revision`` as an importable ``zlint`` package under ``target``."""
    archive = target / "tree.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "-C", str(REPO), "archive", revision, "lint", "rules"], stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target / "tree", filter="data")
    package = target / "site" / "zlint"
    package.parent.mkdir(parents=True)
    shutil.move(str(target / "tree" / "lint"), str(package))
    shutil.move(str(target / "tree" / "rules"), str(package / "rules"))
    return target / "site"


def ruff_command() -> list:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import find_ruff  # bench/run.py: beside this interpreter, on PATH, or the ruff package

    found = find_ruff()
    if not found:
        sys.exit("bench/before_after.py: Ruff is not installed (pip install ruff)")
    return [found]


def timed(command: list, cwd: Path, env: dict) -> tuple:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier revision (a commit, tag or branch)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=REPO / "bench" / "corpus")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "bench"))
    from run import fetch  # bench/run.py's pinned corpus, downloaded once

    tree = fetch(args.corpus)
    files = sum(1 for _ in tree.rglob("*.py"))
    ruff = ruff_command()
    jobs = ["-j", str(args.jobs)] if args.jobs else []
    zlint = [sys.executable, "-m", "zlint", "check", "--no-cache", "--output-format", "json", "--exit-zero", *jobs, "."]
    with tempfile.TemporaryDirectory() as scratch:
        base_site = export_revision(args.base, Path(scratch))
        plain = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        rows = {
            "ruff --select F": (ruff + ["check", "--no-cache", "--select", "F", "--exit-zero", "--quiet", "."], plain),
            "ruff --select ALL": (
                ruff + ["check", "--no-cache", "--select", "ALL", "--exit-zero", "--quiet", "."],
                plain,
            ),
            f"zlint {args.base}": (zlint, dict(plain, PYTHONPATH=str(base_site))),
            "zlint (this tree)": (zlint, plain),
        }
        times = {name: [] for name in rows}
        findings = {}
        for _ in range(args.repeat):
            for name, (command, env) in rows.items():
                wall, proc = timed(command, tree, env)
                times[name].append(wall)
                if name.startswith("zlint"):
                    document = json.loads(proc.stdout)
                    findings[name] = (len(document["findings"]), len(document["internal_errors"]))
    medians = {name: statistics.median(values) for name, values in times.items()}
    anchor_f, anchor_all = medians["ruff --select F"], medians["ruff --select ALL"]
    print(f"corpus: {tree} ({files} files); median of {args.repeat}; {os.cpu_count()} CPUs")
    print()
    print("| run | wall (s) | / ruff F | / ruff ALL | findings | internal errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, wall in medians.items():
        found, errors = findings.get(name, ("", ""))
        print(f"| {name} | {wall:.2f} | {wall / anchor_f:.2f}x | {wall / anchor_all:.2f}x | {found} | {errors} |")


if __name__ == "__main__":
    main()
