"""Fuzzing zlint with hostile input: mutated real model files, deep nesting, generated programs.

    python bench/fuzz.py --cases 100 --seed 21      # a fixed set (what the test suite runs)
    python bench/fuzz.py --minutes 20               # a soak run, new cases until time is up

Each case is one file put in a batch folder; every batch is checked in this process (``-j 1``)
and by worker processes (``-j 2``), both with a per-file time limit, and fixes are planned for
it. A failure is an internal error, an exception out of zlint, a file past the time limit, or a
different answer between the two modes. Every failing case is copied to
``tests/data/fuzz_regressions/`` (``--keep``), where a test checks it again on every run.

Mutations of the repository's own model files (``reference_model/``, ``tests/data/``):
truncation at any byte, deletion and duplication of line ranges, byte flips, and insertion of a
statement nested a few hundred to a few thousand levels deep (each construct of the nesting
matrix). With ``--hypothesmith`` (the default in ``--minutes`` mode) a share of the cases are
programs generated from Python's grammar by hypothesmith.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
REGRESSIONS = REPO / "tests" / "data" / "fuzz_regressions"
INDENT = " " * 8

DEEP_KINDS = [
    "parentheses",
    "lists",
    "ifs",
    "unary",
    "attributes",
    "calls",
    "sums",
    "elif",
    "lambdas",
    "ternaries",
    "strings",
]


def deep_statement(kind: str, n: int, indent: str = INDENT) -> str:
    """``n`` levels of one construct as statements at ``indent``."""
    width = len(indent)
    if kind == "parentheses":
        return f"{indent}y = {'(' * n}x{')' * n}\n"
    if kind == "lists":
        return f"{indent}y = {'[' * n}x{']' * n}\n"
    if kind == "ifs":
        return "".join(" " * (width + i) + "if x:\n" for i in range(n)) + " " * (width + n) + "pass\n"
    if kind == "unary":
        return f"{indent}y = {'-' * n}x\n"
    if kind == "attributes":
        return f"{indent}y = x{'.a' * n}\n"
    if kind == "calls":
        return f"{indent}y = x{'()' * n}\n"
    if kind == "sums":
        return f"{indent}y = {' + '.join(['x'] * n)}\n"
    if kind == "elif":
        return f"{indent}if x == 0:\n{indent}    pass\n" + "".join(
            f"{indent}elif x == {i}:\n{indent}    pass\n" for i in range(1, n)
        )
    if kind == "lambdas":
        return f"{indent}y = {'lambda: ' * n}x\n"
    if kind == "ternaries":
        return f"{indent}y = {'x if x else ' * n}x\n"
    if kind == "strings":
        return f"{indent}y = {' '.join(['%r' % 'a'] * n)}\n"
    raise KeyError(kind)


def seed_files() -> List[bytes]:
    paths = sorted((REPO / "reference_model").rglob("*.py")) + sorted((REPO / "tests" / "data").rglob("*.py"))
    return [p.read_bytes() for p in paths if "fuzz_regressions" not in p.parts and p.stat().st_size < 200_000]


# -- mutators ---------------------------------------------------------------------------------
def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _lines(data: bytes) -> List[bytes]:
    return data.splitlines(keepends=True) or [b""]


def _delete(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    start = rng.randrange(len(lines))
    return b"".join(lines[:start] + lines[start + rng.randint(1, 8) :])


def _duplicate(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    start = rng.randrange(len(lines))
    chunk = lines[start : start + rng.randint(1, 12)]
    at = rng.randrange(len(lines) + 1)
    return b"".join(lines[:at] + chunk + lines[at:])


def _flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(out))
        out[at] = rng.choice(
            [out[at] ^ (1 << rng.randrange(8)), rng.randrange(256), ord(rng.choice("()[]{}:.,=\n\t #'\"\\"))]
        )
    return bytes(out)


def _deep(rng: random.Random, data: bytes) -> bytes:
    """A deeply nested statement put inside a ``def forward`` (or at the end)."""
    kind = rng.choice(DEEP_KINDS)
    n = rng.choice([150, 400, 1000, 1150, 1300, 3000, 7000])
    lines = _lines(data)
    spots = [i for i, line in enumerate(lines) if line.lstrip().startswith(b"def forward")]
    if spots:
        at = rng.choice(spots) + 1
        indent = lines[at - 1][: len(lines[at - 1]) - len(lines[at - 1].lstrip())] + b"    "
    else:
        at, indent = len(lines), b""
    statement = deep_statement(kind, n, indent.decode("ascii", "replace")).encode()
    return b"".join(lines[:at] + [statement] + lines[at:])


MUTATORS: List[Tuple[str, Callable[[random.Random, bytes], bytes]]] = [
    ("truncate", _truncate),
    ("delete", _delete),
    ("duplicate", _duplicate),
    ("flip", _flip),
    ("deep", _deep),
]


def _generated_programs() -> Iterator[str]:
    """Programs from Python's grammar (hypothesmith); each draw is new, so soak runs only."""
    import warnings

    import hypothesmith
    from hypothesis.errors import NonInteractiveExampleWarning

    strategy = hypothesmith.from_grammar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        while True:
            yield strategy.example()


@dataclass
class Case:
    name: str
    kind: str
    data: bytes


def cases(seed: int, generated: bool) -> Iterator[Case]:
    rng = random.Random(seed)
    seeds = seed_files()
    programs = _generated_programs() if generated else None
    number = 0
    while True:
        number += 1
        if programs is not None and rng.random() < 0.15:
            wrapped = (
                "import torch.nn as nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n\n"
                + next(programs)
            )
            yield Case(f"case_{number:06d}.py", "hypothesmith", wrapped.encode("utf-8", "surrogatepass"))
            continue
        data = rng.choice(seeds)
        applied = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            name, mutate = rng.choice(MUTATORS)
            data = mutate(rng, data)
            applied.append(name)
        yield Case(f"case_{number:06d}.py", "+".join(applied), data)


# -- checking ---------------------------------------------------------------------------------
@dataclass
class Failure:
    case: Case
    problem: str


def _answers(root: Path, jobs: int, timeout: float):
    from zlint.api import RunOptions, check, load_settings

    old = os.getcwd()
    os.chdir(root)
    try:
        settings = load_settings([Path(".")], select=["ALL"])
        result = check([Path(".")], settings, RunOptions(jobs=jobs, cache=False, progress=False, file_timeout=timeout))
    finally:
        os.chdir(old)
    answers = {}
    for finding in result.findings:
        answers.setdefault(finding.path, []).append(
            (finding.code, finding.start.line, finding.start.column, finding.message)
        )
    errors = {}
    for error in result.internal_errors:
        errors.setdefault(error.path, []).append(f"{error.rule}: {error.message}")
    return answers, errors


def _plan(root: Path) -> Optional[str]:
    """Plan (never write) the fixes of the batch: FixError is an answer, anything else a bug."""
    from zlint.api import fix, load_settings
    from zlint.fix.apply import FixError

    old = os.getcwd()
    os.chdir(root)
    try:
        fix([Path(".")], load_settings([Path(".")]), unsafe=True, write=False)
    except FixError:
        return None
    except Exception as exc:  # what the fuzzer is looking for
        return f"fix planning raised {type(exc).__name__}: {exc}"
    finally:
        os.chdir(old)
    return None


def check_batch(batch: List[Case], work: Path, timeout: float = 30.0) -> List[Failure]:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for case in batch:
        (work / case.name).write_bytes(case.data)
    failures: List[Failure] = []
    by_name = {case.name: case for case in batch}
    try:
        here, here_errors = _answers(work, 1, timeout)
        workers, worker_errors = _answers(work, 2, timeout)
    except Exception as exc:
        return [Failure(case, f"check raised {type(exc).__name__}: {exc}") for case in batch]
    for name, errors in list(here_errors.items()) + list(worker_errors.items()):
        if name in by_name:
            failures.append(Failure(by_name[name], "; ".join(errors)))
    for name in sorted(set(here) | set(workers)):
        if (
            here.get(name) != workers.get(name)
            and name in by_name
            and name not in here_errors
            and name not in worker_errors
        ):
            failures.append(
                Failure(by_name[name], f"in-process and worker answers differ: {here.get(name)} / {workers.get(name)}")
            )
    problem = _plan(work)
    if problem is not None:
        failures.extend(_bisect_plan(batch, work.parent / "bisect", problem))
    return failures


def _bisect_plan(batch: List[Case], work: Path, problem: str) -> List[Failure]:
    found = []
    for case in batch:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        (work / case.name).write_bytes(case.data)
        single = _plan(work)
        if single is not None:
            found.append(Failure(case, single))
    return found or [Failure(batch[0], problem + " (only with the whole batch)")]


def keep(failure: Failure) -> Path:
    REGRESSIONS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(failure.case.data).hexdigest()[:12]
    path = REGRESSIONS / f"{failure.case.kind.replace('+', '_')}_{digest}.py.txt"
    path.write_bytes(failure.case.data)
    return path


def run(
    seed: int,
    count: Optional[int],
    minutes: Optional[float],
    generated: bool,
    keep_failures: bool,
    batch_size: int = 10,
    report: Callable[[str], None] = print,
) -> Tuple[int, List[Failure]]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    deadline = time.monotonic() + minutes * 60 if minutes else None
    source = cases(seed, generated)
    done = 0
    failures: List[Failure] = []
    with tempfile.TemporaryDirectory(prefix="zlint-fuzz-") as folder:
        work = Path(folder) / "batch"
        while (count is None or done < count) and (deadline is None or time.monotonic() < deadline):
            size = batch_size if count is None else min(batch_size, count - done)
            batch = [next(source) for _ in range(size)]
            found = check_batch(batch, work)
            done += len(batch)
            for failure in found:
                failures.append(failure)
                where = keep(failure) if keep_failures else None
                report(
                    f"FAIL {failure.case.name} ({failure.case.kind}): {failure.problem}"
                    + (f" -> {where}" if where else "")
                )
    return done, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--cases", type=int, default=None, help="how many cases (default: 100 without --minutes)")
    parser.add_argument("--minutes", type=float, default=None, help="run new cases until this much time has passed")
    parser.add_argument(
        "--hypothesmith",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mix in programs generated by hypothesmith (default: on with --minutes)",
    )
    parser.add_argument(
        "--keep",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="copy failing cases to tests/data/fuzz_regressions/",
    )
    args = parser.parse_args(argv)
    count = args.cases if args.cases is not None else (None if args.minutes else 100)
    generated = args.hypothesmith if args.hypothesmith is not None else bool(args.minutes)
    started = time.monotonic()
    done, failures = run(args.seed, count, args.minutes, generated, args.keep)
    elapsed = time.monotonic() - started
    print(
        f"fuzz: {done} cases in {elapsed:.0f} s (seed {args.seed}{', hypothesmith' if generated else ''}): "
        f"{len(failures)} failure(s)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
