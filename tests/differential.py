"""Differential execution of `zlint fix`: run the original and the fixed model code side by side.

A case is a small model package (file texts) with an entry class. The harness writes it to a
folder, fixes a copy with `zlint fix` (optionally `--unsafe-fixes`), imports both copies (the
test imports its own generated code; zlint itself never does), builds both under the same seed,
copies the weights across, runs several forwards and compares the outputs exactly and the
modules' plain attributes after each forward. It can also run the fixed model with its blocks
behind a wrapper that hides their submodules, as a block cache does.
"""

from __future__ import annotations

import importlib
import itertools
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from tests.helpers import chdir, check_tree, run_cli

FIX_CODES = ("ZL001", "ZL002", "ZL003", "ZL004")
PLAIN = (bool, int, float, str, type(None), tuple)
Call = Tuple[tuple, dict]


@dataclass
class Case:
    files: Dict[str, str]
    entry: str = "pkg.model:Model"
    init_args: tuple = ()
    calls: Callable[[], List[Call]] = field(default=lambda: [])
    pyproject: Optional[str] = None
    attrs: Tuple[str, ...] = ()  # the attributes whose writes a fix removes


@dataclass
class Outcome:
    before: list  # findings before the fix
    after: list  # findings after the fix
    changed: List[str]  # files the fix changed
    original: Path
    fixed: Path
    output: str


def write_tree(root: Path, files: Dict[str, str], pyproject: Optional[str] = None) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)


def _snapshot(root: Path) -> Dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _check(root: Path, case: Case) -> list:
    """The findings `zlint check` reports for the tree, with its pyproject.toml when it has one."""
    if case.pyproject is None:
        return check_tree(root).findings
    from zlint.config import load_config_file
    from zlint.runner import check_paths

    config = load_config_file(root / "pyproject.toml")
    with chdir(root):
        return check_paths([Path(".")], config).findings


def fix_case(case: Case, workdir: Path, unsafe: bool = False) -> Outcome:
    original = workdir / "original"
    fixed = workdir / "fixed"
    for folder in (original, fixed):
        if folder.exists():
            shutil.rmtree(folder)
        write_tree(folder, case.files, case.pyproject)
    before = [f for f in _check(fixed, case) if f.code in FIX_CODES]
    old = _snapshot(fixed)
    args = ["fix", "--no-cache", *(["--unsafe-fixes"] if unsafe else []), "."]
    out = run_cli(args, fixed)
    assert out.exit_code in (0, 1), out.output
    new = _snapshot(fixed)
    changed = sorted(rel for rel in new if new[rel] != old.get(rel))
    after = [f for f in _check(fixed, case) if f.code in FIX_CODES]
    return Outcome(before, after, changed, original, fixed, out.output)


def load(root: Path, entry: str):
    """The entry class of the package under ``root``, imported from there alone."""
    module_name, _, class_name = entry.partition(":")
    top = module_name.split(".")[0]

    def purge() -> None:
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]

    purge()
    sys.path.insert(0, str(root))
    old_flag = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        importlib.invalidate_caches()
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    finally:
        sys.dont_write_bytecode = old_flag
        sys.path.remove(str(root))
        purge()


def plain_state(model: nn.Module) -> Dict[Tuple[str, str], Any]:
    """Every plain attribute (bool, int, float, str, None, tuple) of every module, by path."""
    state = {}
    for path, module in model.named_modules():
        for name, value in vars(module).items():
            if not name.startswith("_") and name != "training" and isinstance(value, PLAIN):
                state[(path, name)] = value
    return state


def same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def _clone(value):
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple):
        return tuple(_clone(v) for v in value)
    if isinstance(value, list):
        return [_clone(v) for v in value]
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def build_pair(original_cls, fixed_cls, init_args: tuple, seed: int = 0):
    torch.manual_seed(seed)
    a = original_cls(*init_args)
    torch.manual_seed(seed)
    b = fixed_cls(*init_args)
    b.load_state_dict(a.state_dict())
    return a, b


def compare(
    original_cls, fixed_cls, case: Case, stopped_writing: Sequence[str] = (), seed: int = 0, check_state: bool = True
) -> List[str]:
    """Differences between the two models over the case's calls (empty when they agree): the
    outputs must be equal, and so must every plain attribute after each call, except those the fix
    stopped writing, which in the fixed model must keep the value they had before the forward."""
    a, b = build_pair(original_cls, fixed_cls, case.init_args, seed)
    initial_b = plain_state(b)
    problems = []
    for number, (args, kwargs) in enumerate(case.calls()):
        out_a = a(*_clone(args), **_clone(kwargs))
        out_b = b(*_clone(args), **_clone(kwargs))
        if not same(out_a, out_b):
            problems.append(f"call {number}: outputs differ")
        if not check_state:
            continue
        state_a, state_b = plain_state(a), plain_state(b)
        for key in sorted(set(state_a) | set(state_b)):
            if key[1] in stopped_writing:
                if state_b.get(key) != initial_b.get(key):
                    problems.append(f"call {number}: fixed code still changes {key}")
            elif state_a.get(key) != state_b.get(key):
                problems.append(f"call {number}: {key} is {state_a.get(key)!r} vs {state_b.get(key)!r}")
    return problems


class HiddenBlock(nn.Module):
    """Stands in for a block the way a block cache does: it holds the block, forwards calls with
    ``*args, **kwargs``, and has none of the block's submodules as attributes."""

    def __init__(self, block: nn.Module):
        super().__init__()
        self.wrapped_block = block

    def forward(self, *args, **kwargs):
        return self.wrapped_block(*args, **kwargs)


def hide_blocks(model: nn.Module) -> int:
    """Put every element of the model's module containers, and every other direct child, behind
    a ``HiddenBlock``; return how many were hidden."""
    hidden = 0
    for name, child in list(model.named_children()):
        if isinstance(child, (nn.ModuleList, nn.Sequential)):
            for index in range(len(child)):
                child[index] = HiddenBlock(child[index])
                hidden += 1
        elif isinstance(child, nn.ModuleDict):
            for key in list(child.keys()):
                child[key] = HiddenBlock(child[key])
                hidden += 1
        else:
            setattr(model, name, HiddenBlock(child))
            hidden += 1
    return hidden


def run_hidden(original_cls, fixed_cls, case: Case, seed: int = 0) -> List[str]:
    """The fixed model with hidden blocks runs every call and gives the original's outputs."""
    a, b = build_pair(original_cls, fixed_cls, case.init_args, seed)
    assert hide_blocks(b) > 0
    problems = []
    for number, (args, kwargs) in enumerate(case.calls()):
        out_a = a(*_clone(args), **_clone(kwargs))
        try:
            out_b = b(*_clone(args), **_clone(kwargs))
        except Exception as exc:  # the failure is the finding
            problems.append(f"call {number}: hidden blocks raise {type(exc).__name__}: {exc}")
            continue
        if not same(out_a, out_b):
            problems.append(f"call {number}: outputs differ behind hidden blocks")
    return problems


def inputs(
    shape: Sequence[int],
    values: Sequence[Any],
    seed: int = 1,
    extra: Callable[[Any], dict] = lambda v: {},
    positional: bool = True,
) -> Callable[[], List[Call]]:
    """Calls ``model(x, v)`` (or ``model(x, flag=v)``) for each value and two seeded inputs."""

    def make() -> List[Call]:
        generator = torch.Generator().manual_seed(seed)
        xs = [torch.randn(*shape, generator=generator) for _ in range(2)]
        calls = []
        for x, v in itertools.product(xs, values):
            if positional:
                calls.append(((x, v), extra(v)))
            else:
                calls.append(((x,), {**extra(v)}))
        return calls

    return make
