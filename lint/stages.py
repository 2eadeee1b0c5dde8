"""Where a run's time goes, stage by stage, when ``ZLINT_PROFILE_STAGES`` is set.

``ZLINT_PROFILE_STAGES=1`` prints one JSON object to standard error at the end of a run;
any other value is taken as a file to write it to. Each process charges the time between two
steps of a file (``FileChecker._step``) to the stage the earlier step belongs to; name
resolution and LibCST parses, which run inside other stages, are charged to themselves while
they run. Workers send what they measured with each result; the main process adds its own
stages (worker start-up, merging the results). Off (the default), nothing is measured and
nothing is patched.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from typing import Callable, Dict, Optional

ENV = "ZLINT_PROFILE_STAGES"

# FileChecker step -> stage (rule codes are "analysis").
_STAGE_OF_STEP = {
    "start-up": "worker start-up",
    "reading": "reading",
    "byte pre-filter": "byte pre-filter",
    "decoding": "reading",
    "parsing": "ast",
    "pre-filter": "pre-filter",
    "measuring nesting": "ast",
    "compiling": "compile (ZL000)",
    "loading the module": "module summary",
    "recording dependencies": "analysis",
    "idle": "idle",
}


def enabled() -> bool:
    return bool(os.environ.get(ENV))


class StageClock:
    """Seconds per stage in this process, charged between switches."""

    def __init__(self) -> None:
        self.totals: Dict[str, float] = {}
        self.current = "idle"
        self.since = time.perf_counter()

    def switch(self, stage: str) -> str:
        now = time.perf_counter()
        self.totals[self.current] = self.totals.get(self.current, 0.0) + now - self.since
        previous, self.current, self.since = self.current, stage, now
        return previous

    def step(self, name: str) -> None:
        self.switch(_STAGE_OF_STEP.get(name, "analysis" if name.startswith("ZL") else name))

    def take(self) -> Dict[str, float]:
        """What was measured since the last call (the current stage goes on)."""
        self.switch(self.current)
        taken, self.totals = self.totals, {}
        taken.pop("idle", None)
        return taken

    def timed(self, stage: str, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            previous = self.switch(stage)
            try:
                return func(*args, **kwargs)
            finally:
                self.switch(previous)

        return wrapper


_CLOCK: Optional[StageClock] = None


def clock() -> Optional[StageClock]:
    """This process's clock when profiling is on (set up on first use), else None."""
    global _CLOCK
    if _CLOCK is None and enabled():
        _CLOCK = StageClock()
    return _CLOCK


_INSTRUMENTED = False


def instrument(clock_: StageClock) -> None:
    """Charge name resolution and LibCST parses to themselves, wherever they are called from.
    Called when a process makes its project index (which loads these modules anyway)."""
    global _INSTRUMENTED
    if _INSTRUMENTED:
        return
    _INSTRUMENTED = True
    from . import index, modules, parsing

    index.ProjectIndex.find_module = clock_.timed(  # type: ignore[method-assign]  # profiling only
        "resolution", index.ProjectIndex.find_module
    )
    modules._parse_class_segment = clock_.timed("LibCST", modules._parse_class_segment)
    parsing._parse_cst = clock_.timed("LibCST", parsing._parse_cst)


class RunStages:
    """The run's totals: the workers' stages summed over processes, and the main process's."""

    def __init__(self) -> None:
        self.workers: Dict[str, float] = {}
        self.main: Dict[str, float] = {}

    def add_worker(self, times: Optional[Dict[str, float]]) -> None:
        for stage, seconds in (times or {}).items():
            self.workers[stage] = self.workers.get(stage, 0.0) + seconds

    def add_main(self, stage: str, seconds: float) -> None:
        self.main[stage] = self.main.get(stage, 0.0) + seconds

    def report(self) -> None:
        local = clock()
        if local is not None:  # files checked in this process
            self.add_worker(local.take())
        document = {
            "unit": "seconds",
            "per_file_stages_summed_over_processes": {k: round(v, 4) for k, v in sorted(self.workers.items())},
            "main_process": {k: round(v, 4) for k, v in sorted(self.main.items())},
        }
        target = os.environ.get(ENV, "")
        text = json.dumps(document, indent=2)
        if target == "1":
            print(text, file=sys.stderr)
            return
        try:
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as exc:
            print(f"zlint: warning: cannot write the stage profile to {target}: {exc}", file=sys.stderr)


_RUN: Optional[RunStages] = None


def run_stages() -> Optional[RunStages]:
    """The totals of this run (main process), when profiling is on."""
    global _RUN
    if _RUN is None and enabled():
        _RUN = RunStages()
    return _RUN
