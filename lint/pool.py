"""A small pool of worker processes that cannot hang.

Each worker gets its own pipe; the main process keeps at most two items queued per worker and
watches the workers' pipes and their process sentinels together. A worker that dies (a crash in
native code, ``os._exit``, ``kill -9``) or that spends longer than the time limit on one item
loses only that item: the caller turns it into a result naming the item and the step the worker
had reported, a fresh worker takes over the rest of its queue, and the run goes on. A worker that
fails while starting ends the run with ``WorkerStartupError`` (it is never started again: the
same failure would repeat for ever). Workers ignore Ctrl-C (the main process stops them) and
leave when the main process is gone.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

_QUEUED = 2  # items sent ahead to each worker, so that it never waits for the next one
_STEP_BYTES = 64


# Profiling (ZLINT_PROFILE_STAGES): seconds from the pool's start until every worker had said it
# was ready, and until the first result came back, in the last run.
LAST_START_UP: Dict[str, float] = {}


class WorkerStartupError(Exception):
    """A worker process could not start; the message says why."""


@dataclass
class Lost:
    """An item whose worker died or ran out of time."""

    item: Any
    step: str
    reason: str
    timed_out: bool = False


@dataclass
class _Worker:
    process: Any
    conn: Any
    step: Any  # shared bytes: the step the worker is in
    ready: bool = False
    queue: Deque[Tuple[int, Any]] = field(default_factory=deque)  # sent, not answered yet
    local: Deque[Tuple[int, Any]] = field(default_factory=deque)  # its share, not sent yet
    since: float = 0.0  # when the item at the head of the queue started

    def current_step(self) -> str:
        return bytes(self.step[:]).split(b"\0", 1)[0].decode("utf-8", "replace") or "start-up"


def _set_step(shared, name: str) -> None:
    data = name.encode("utf-8")[: _STEP_BYTES - 1]
    shared[: len(data) + 1] = data + b"\0"


def _worker_main(conn, shared, init: Callable, init_args: tuple, work: Callable) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and stops us
    parent = os.getppid()
    _set_step(shared, "start-up")
    try:
        init(*init_args, lambda name: _set_step(shared, name))
    except BaseException as exc:  # reported to the main process, which ends the run
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            if not conn.poll(1.0):
                if os.getppid() != parent:
                    return  # the main process is gone
                continue
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        number, item = message
        result = work(item)
        _set_step(shared, "sending the result")
        conn.send(("done", number, result))


def _describe_exit(code: Optional[int]) -> str:
    if code is None:
        return "stopped"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def run_pool(
    items: Sequence[Any],
    jobs: int,
    init: Callable,
    init_args: tuple,
    work: Callable,
    timeout: Optional[float],
    progress: Callable[[int], None] = lambda done: None,
) -> List[Any]:
    """``work(item)`` for every item in ``jobs`` processes (each set up by ``init(*init_args,
    set_step)``); results in item order, a ``Lost`` for each item whose worker died or went past
    ``timeout`` seconds on it."""
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    results: List[Any] = [None] * len(items)
    pending: Deque[Tuple[int, Any]] = deque(enumerate(items))
    workers: List[_Worker] = []
    done = 0
    started = time.perf_counter()
    LAST_START_UP.clear()

    def start() -> _Worker:
        ours, theirs = context.Pipe(duplex=True)
        shared = context.RawArray("c", _STEP_BYTES)
        process = context.Process(  # type: ignore[attr-defined]
            target=_worker_main, args=(theirs, shared, init, init_args, work), daemon=True
        )
        process.start()
        theirs.close()
        return _Worker(process, ours, shared)

    # Each worker takes runs of neighbouring items (files of one package share the imports its
    # project index has parsed already), then gets them one by one.
    chunk = max(1, min(64, len(items) // (max(1, jobs) * 8)))

    def feed(worker: _Worker) -> None:
        while len(worker.queue) < _QUEUED:
            if not worker.local:
                for _ in range(min(chunk, len(pending))):
                    worker.local.append(pending.popleft())
                if not worker.local:
                    return
            number, item = worker.local.popleft()
            try:
                worker.conn.send((number, item))
            except (OSError, ValueError):
                worker.local.appendleft((number, item))  # it died: noticed through its sentinel
                return
            if not worker.queue:
                worker.since = time.monotonic()
            worker.queue.append((number, item))

    def lose(worker: _Worker, reason: str) -> None:
        nonlocal done
        if not worker.ready:
            raise WorkerStartupError(f"a worker process {reason} while starting")
        if worker.queue:
            number, item = worker.queue.popleft()
            results[number] = Lost(item, worker.current_step(), reason)
            done += 1
            progress(done)
        _give_back(worker, pending)

    def receive(worker: _Worker) -> None:
        nonlocal done
        while True:
            try:
                if not worker.conn.poll():
                    return
                message = worker.conn.recv()
            except (EOFError, OSError):
                return
            kind = message[0]
            if kind == "ready":
                worker.ready = True
                if all(w.ready for w in workers):
                    LAST_START_UP.setdefault("worker start-up (until all ready)", time.perf_counter() - started)
            elif kind == "failed":
                raise WorkerStartupError(message[1])
            elif kind == "done":
                number, result = message[1], message[2]
                if worker.queue and worker.queue[0][0] == number:
                    worker.queue.popleft()
                    worker.since = time.monotonic()
                    results[number] = result
                    LAST_START_UP.setdefault("worker start-up (until the first result)", time.perf_counter() - started)
                    done += 1
                    progress(done)

    finished = False
    try:
        workers = [start() for _ in range(max(1, min(jobs, len(items))))]
        while done < len(items):
            for worker in workers:
                feed(worker)
            deadline = None
            if timeout is not None:
                busy = [w.since + timeout for w in workers if w.queue]
                deadline = min(busy) if busy else None
            wait_for = deadline - time.monotonic() if deadline is not None else None
            handles = [w.conn for w in workers] + [w.process.sentinel for w in workers]
            ready = set(wait(handles, timeout=max(0.0, wait_for) if wait_for is not None else None))
            now = time.monotonic()
            for position, worker in enumerate(workers):
                if worker.conn in ready:
                    receive(worker)
                if worker.process.sentinel in ready:
                    worker.process.join(1.0)
                    receive(worker)  # whatever it sent before it went
                    lose(worker, _describe_exit(worker.process.exitcode))
                elif timeout is not None and worker.queue and now - worker.since > timeout:
                    step = worker.current_step()
                    _stop(worker)
                    worker.ready = True
                    number, item = worker.queue.popleft()
                    results[number] = Lost(item, step, f"took longer than {timeout:g} s", timed_out=True)
                    done += 1
                    progress(done)
                    _give_back(worker, pending)
                else:
                    continue
                _stop(worker)
                workers[position] = start() if done < len(items) else worker
        finished = True
        return results
    finally:
        # Done: ask the workers to leave. Interrupted or failed: stop them at once.
        for worker in workers:
            try:
                if finished:
                    worker.conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + (2.0 if finished else 0.0)
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            _stop(worker)
            worker.conn.close()


def _give_back(worker: _Worker, pending: Deque[Tuple[int, Any]]) -> None:
    """What a lost worker still had goes back to the front, for the others (or its successor)."""
    pending.extendleft(reversed(list(worker.queue) + list(worker.local)))
    worker.queue.clear()
    worker.local.clear()


def _stop(worker: _Worker) -> None:
    process = worker.process
    if process.exitcode is None:
        process.kill()
    process.join(5.0)
