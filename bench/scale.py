"""zlint over real model libraries: `check` and `fix --diff` must finish with no internal error.

    python bench/scale.py [--corpus bench/corpus]
    python bench/scale.py --table [--sizes 0.5M,1M,2M,5M]

Uses the pinned corpus of bench/run.py (diffusers 0.42.1 and transformers 5.23.0, fetched with
``pip download --no-deps``). Exits non-zero when zlint reports an internal error, crashes, or
prints a traceback. CI runs it after the test suite.

``--table`` (not in CI: minutes) prints the cold time, CPU time and peak memory of the largest
process of ``zlint check --no-cache`` at growing sizes (default 0.5M, 1M and 2M lines; add 5M
with ``--sizes``). Each size is a prefix of one fixed list of files: the corpus, then the
ecosystem check's trees (bench/.ecosystem-cache/trees, filled by ``python bench/ecosystem.py``)
to reach 5M lines, copied into a temporary folder package by package so that imports resolve.
Cost that grows linearly shows as a flat seconds-per-million-lines column.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import fetch, measure, zlint_command  # noqa: E402  (bench/run.py, the same pinned corpus)

ECOSYSTEM_TREES = Path(__file__).resolve().parent / ".ecosystem-cache" / "trees"


def _size(text: str) -> int:
    text = text.strip().upper()
    factor = 1_000_000 if text.endswith("M") else 1_000 if text.endswith("K") else 1
    return int(float(text.rstrip("MK")) * factor)


def _sources(corpus_tree: Path):
    """(label, package folder) in a fixed order: the corpus first, then the ecosystem trees."""
    for package in sorted(p for p in corpus_tree.iterdir() if p.is_dir()):
        yield "corpus", package
    if ECOSYSTEM_TREES.is_dir():
        for release in sorted(ECOSYSTEM_TREES.iterdir()):
            for package in sorted(p for p in release.iterdir() if p.is_dir() and (p / "__init__.py").is_file()):
                yield release.name, package


def _files(corpus_tree: Path):
    """(source file, where it goes under the scale folder, its lines), in the fixed order."""
    for label, package in _sources(corpus_tree):
        for path in sorted(package.rglob("*.py")):
            try:
                lines = path.read_bytes().count(b"\n")
            except OSError:
                continue
            yield path, Path(label) / path.relative_to(package.parent), lines


def scale_table(corpus_tree: Path, sizes) -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="zlint-scale-") as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text("[tool.zlint]\n")
        files = _files(corpus_tree)
        copied = lines = 0
        for target in sizes:
            for source, relative, count in files:
                destination = root / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
                copied += 1
                lines += count
                if lines >= target:
                    break
            if lines < target:
                print(
                    f"only {lines} lines available (run bench/ecosystem.py to fetch its trees): no row for {target}",
                    file=sys.stderr,
                )
                break
            wall, rss, cpu = measure(zlint_command("--no-cache"), root)
            rows.append((target, copied, lines, wall, cpu, rss))
            print(f"  {lines} lines: {wall:.1f} s", file=sys.stderr)
    print(
        f"| {'lines':>9} | {'files':>6} | {'cold wall (s)':>13} | {'CPU (s)':>8} | {'wall s / M lines':>16} "
        f"| {'peak RSS (MB)':>13} |"
    )
    print(f"|{'-' * 11}|{'-' * 8}|{'-' * 15}|{'-' * 10}|{'-' * 18}|{'-' * 15}|")
    for _, count, total, wall, cpu, rss in rows:
        print(
            f"| {total:>9} | {count:>6} | {wall:>13.2f} | {cpu:>8.2f} | {wall / (total / 1e6):>16.2f} | {rss:>13.0f} |"
        )
    return 0 if rows else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "corpus")
    parser.add_argument("--table", action="store_true", help="time cold runs at growing sizes instead")
    parser.add_argument("--sizes", default="0.5M,1M,2M", help="with --table: line counts, comma separated")
    args = parser.parse_args()
    tree = fetch(args.corpus)
    if args.table:
        return scale_table(tree, sorted(_size(part) for part in args.sizes.split(",") if part.strip()))
    failures = []

    start = time.perf_counter()
    check = subprocess.run(
        [sys.executable, "-m", "zlint", "check", "--no-cache", "--select", "ALL", "--output-format", "json", "."],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    check_time = time.perf_counter() - start
    if check.returncode not in (0, 1) or "Traceback" in check.stderr:
        failures.append(f"zlint check exited {check.returncode}: {check.stderr[-2000:]}")
        report = {"findings": [], "internal_errors": [], "files_checked": 0}
    else:
        report = json.loads(check.stdout)
        failures.extend(f"internal error: {e}" for e in report["internal_errors"])

    start = time.perf_counter()
    fix = subprocess.run(
        [sys.executable, "-m", "zlint", "fix", "--diff", "--no-cache", "--unsafe-fixes", "."],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    fix_time = time.perf_counter() - start
    if fix.returncode not in (0, 1) or "Traceback" in fix.stderr:
        failures.append(f"zlint fix --diff exited {fix.returncode}: {fix.stderr[-2000:]}")

    by_code = {}
    for finding in report["findings"]:
        by_code[finding["code"]] = by_code.get(finding["code"], 0) + 1
    print(f"files checked: {report['files_checked']}; findings by rule: {dict(sorted(by_code.items()))}")
    print(f"check: {check_time:.1f} s; fix --diff: {fix_time:.1f} s, diff lines: {len(fix.stdout.splitlines())}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    print("scale run: ok" if not failures else "scale run: FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
