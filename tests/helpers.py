"""Shared test helpers: run zlint in-process the way the CLI does."""

from __future__ import annotations

import os
import re
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import List, Sequence

from click.testing import CliRunner

from zlint.cli import cli
from zlint.config import Config
from zlint.runner import check_paths

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")


@contextmanager
def chdir(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def expected_lines(code: str, rule_code: str) -> List[int]:
    lines = []
    for number, line in enumerate(code.splitlines(), start=1):
        match = EXPECT.search(line)
        if match and rule_code in [c.strip() for c in match.group("codes").split(",")]:
            lines.append(number)
    return lines


def snippet(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def check_tree(root: Path, select: Sequence[str] = (), paths: Sequence[str] = (".",)):
    config = Config(project_root=root, select=list(select) if select else None)
    with chdir(root):
        return check_paths([Path(p) for p in paths], config)


def run_cli(args: Sequence[str], cwd: Path):
    runner = CliRunner()
    with chdir(cwd):
        return runner.invoke(cli, list(args), catch_exceptions=False)


def fuzz_harness():
    """bench/fuzz.py as a module (bench/ is not a package): the fuzz harness and its generators."""
    import importlib.util
    import sys

    if "zlint_fuzz" in sys.modules:
        return sys.modules["zlint_fuzz"]
    path = Path(__file__).resolve().parents[1] / "bench" / "fuzz.py"
    spec = importlib.util.spec_from_file_location("zlint_fuzz", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["zlint_fuzz"] = module
    spec.loader.exec_module(module)
    return module
