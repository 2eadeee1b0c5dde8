"""zlint over real model libraries: `check` and `fix --diff` must finish with no internal error.

    python bench/scale.py [--corpus bench/corpus]

Uses the pinned corpus of bench/run.py (diffusers 0.42.1 and transformers 5.23.0, fetched with
``pip download --no-deps``). Exits non-zero when zlint reports an internal error, crashes, or
prints a traceback. CI runs it after the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import fetch  # noqa: E402  (bench/run.py, the same pinned corpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent / "corpus")
    args = parser.parse_args()
    tree = fetch(args.corpus)
    failures = []

    start = time.perf_counter()
    check = subprocess.run(
        [sys.executable, "-m", "zlint", "check", "--no-cache", "--select", "ALL", "--output-format", "json", "."],
        cwd=tree, capture_output=True, text=True,
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
        cwd=tree, capture_output=True, text=True,
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
