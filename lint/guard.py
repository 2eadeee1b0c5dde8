"""A runtime guard: catches forward-time writes to other modules' attributes as they happen.

Static analysis cannot see through factories, registries or third-party code. While the guard
is active it keeps, per thread, the stack of modules whose ``forward`` is running (global
forward pre/post hooks) and watches ``nn.Module.__setattr__``: a write made while a forward runs,
to a module other than the one whose forward is running, is recorded with the rule it matches
(ZL001 for ``x.attr = v``, ZL002 for ``setattr``), the writing file and line, the module's path
in the model (``layers.3.attention.attn``) and the attribute.

It needs torch, which the linter itself never imports: ``pip install 'zlint[reference]'``.
What it cannot see: ``object.__setattr__`` and ``__dict__`` writes (they bypass
``nn.Module.__setattr__``) and writes to objects that are not modules.
"""

from __future__ import annotations

import dis
import functools
import json
import os
import sys
import threading
import warnings
from contextlib import ContextDecorator
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Dict, List, Literal, Optional, Set, Tuple

import torch
from torch import nn
from torch.nn.modules import module as module_internals

from .runtime_report import GuardRecord

__all__ = ["ForwardGuard", "GuardRecord", "GuardViolation", "forward_guard"]

_TORCH_DIR = os.path.dirname(torch.__file__)
_THIS_FILE = os.path.abspath(__file__)


class GuardViolation(RuntimeError):
    """Raised in ``raise`` mode at the offending write."""


class _State(threading.local):
    def __init__(self):
        self.stack: List[nn.Module] = []
        self.names: Dict[int, str] = {}


class ForwardGuard(ContextDecorator):
    """``with ForwardGuard(mode="record"):`` (or as a decorator). ``mode`` is ``record``,
    ``warn`` (a ``UserWarning`` per write) or ``raise`` (``GuardViolation`` at the write)."""

    _lock = threading.Lock()
    _active: List["ForwardGuard"] = []
    _original_setattr: Optional[Callable[..., None]] = None
    _handles: list = []

    def __init__(self, mode: str = "record"):
        if mode not in ("record", "warn", "raise"):
            raise ValueError(f"mode must be record, warn or raise, not {mode!r}")
        self.mode = mode
        self.records: List[GuardRecord] = []
        self._seen: Set[Tuple[str, int, str, str]] = set()

    # -- activation ---------------------------------------------------------------------------
    def __enter__(self) -> "ForwardGuard":
        with ForwardGuard._lock:
            if not ForwardGuard._active:
                _install()
            ForwardGuard._active.append(self)
        return self

    def __exit__(self, *exc) -> Literal[False]:
        with ForwardGuard._lock:
            ForwardGuard._active.remove(self)
            if not ForwardGuard._active:
                _uninstall()
        return False

    # -- reporting ----------------------------------------------------------------------------
    def _record(self, record: GuardRecord) -> None:
        key = (record.filename, record.line, record.module_path, record.attribute)
        if key in self._seen:
            return
        self._seen.add(key)
        self.records.append(record)
        if self.mode == "warn":
            warnings.warn(record.describe(), UserWarning, stacklevel=4)
        elif self.mode == "raise":
            raise GuardViolation(record.describe())

    def report(self) -> dict:
        return {"version": 1, "records": [asdict(r) for r in self.records]}

    def write_report(self, path) -> None:
        Path(path).write_text(json.dumps(self.report(), indent=2) + "\n", encoding="utf-8")


def forward_guard(mode: str = "record"):
    """Decorator form: ``@forward_guard("raise")``."""

    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            with ForwardGuard(mode):
                return func(*args, **kwargs)

        return inner

    return wrap


# -- the hooks ----------------------------------------------------------------------------------
_STATE = _State()


def _pre_hook(module, args):
    state = _STATE
    if not state.stack:
        state.names = {id(m): name for name, m in module.named_modules(remove_duplicate=False)}
    state.stack.append(module)


def _post_hook(module, args, output):
    state = _STATE
    if state.stack and state.stack[-1] is module:
        state.stack.pop()
    elif module in state.stack:
        while state.stack and state.stack.pop() is not module:
            pass
    return None


def _writer_frame():
    """The code that made the write, or None when torch itself made it (``.train()``, ``.to()``,
    ``load_state_dict``, hook registration, lazy modules): those are not the user's writes."""
    frame = sys._getframe(2)
    if frame is None:
        return None
    filename = os.path.abspath(frame.f_code.co_filename)
    if filename.startswith(_TORCH_DIR) or filename == _THIS_FILE:
        return None
    return frame


def _rule_for(frame) -> str:
    """ZL001 for ``x.attr = v`` (a STORE_ATTR instruction), ZL002 for ``setattr(...)``."""
    for instruction in dis.get_instructions(frame.f_code):
        if instruction.offset == frame.f_lasti:
            return "ZL001" if instruction.opname in ("STORE_ATTR", "DELETE_ATTR") else "ZL002"
    return "ZL001"


def _guarded_setattr(self, name, value):
    state = _STATE
    if state.stack and ForwardGuard._active and self is not state.stack[-1]:
        frame = _writer_frame()
        if frame is not None:
            running = state.stack[-1]
            record = GuardRecord(
                code=_rule_for(frame),
                filename=os.path.abspath(frame.f_code.co_filename),
                line=frame.f_lineno,
                module_path=state.names.get(id(self), f"<{type(self).__name__} outside the model>"),
                module_class=type(self).__name__,
                attribute=name,
                running=type(running).__name__,
            )
            for guard in list(ForwardGuard._active):
                guard._record(record)
    return ForwardGuard._original_setattr(self, name, value)


def _install() -> None:
    ForwardGuard._original_setattr = nn.Module.__setattr__
    nn.Module.__setattr__ = _guarded_setattr  # type: ignore[method-assign]
    ForwardGuard._handles = [
        module_internals.register_module_forward_pre_hook(_pre_hook),
        module_internals.register_module_forward_hook(_post_hook, always_call=True),
    ]


def _uninstall() -> None:
    nn.Module.__setattr__ = ForwardGuard._original_setattr  # type: ignore[method-assign,assignment]
    for handle in ForwardGuard._handles:
        handle.remove()
    ForwardGuard._handles = []
    _STATE.stack.clear()
