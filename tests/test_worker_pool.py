"""Worker processes that crash, hang or fail to start never hang the run; Ctrl-C stops it
quietly. The faults are injected with ZLINT_TEST_* variables read by lint/runner.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_robustness import BAD

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="signals, fork and /proc")


def _tree(root: Path, count: int = 8) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (root / f"m{i}.py").write_text(BAD)
    return root


def _zlint(root: Path, *args, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "zlint", "check", "--no-cache", "--output-format", "concise", *args, "."],
        cwd=root,
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _children(pid: int):
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


@pytest.mark.parametrize("fault,reason", [("crash", "killed by SIGSEGV"), ("exit", "exited with code 3")])
def test_a_worker_that_dies_loses_only_its_file(tmp_path, fault, reason):
    root = _tree(tmp_path)
    proc = _zlint(root, "-j", "2", env={"ZLINT_TEST_WORKER_FAULT": f"m3.py:{fault}"})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"internal error in reading while checking m3.py: worker process {reason}\n" in proc.stderr
    found = {line.split(":")[0] for line in proc.stdout.splitlines() if ": ZL001 " in line}
    assert found == {f"m{i}.py" for i in range(8)} - {"m3.py"}  # the run went on
    assert "All checks passed" not in proc.stdout + proc.stderr


def test_a_file_past_the_time_limit_is_an_internal_error(tmp_path):
    root = _tree(tmp_path)
    started = time.monotonic()
    proc = _zlint(root, "-j", "2", "--file-timeout", "2", env={"ZLINT_TEST_WORKER_FAULT": "m5.py:hang"})
    assert time.monotonic() - started < 60
    assert proc.returncode == 2, proc.stderr
    assert (
        "internal error in reading while checking m5.py: took longer than 2 s (the per-file time limit" in proc.stderr
    )
    assert len([line for line in proc.stdout.splitlines() if ": ZL001 " in line]) == 7


def test_the_time_limit_holds_in_process_too(tmp_path):
    """A slow file checked without workers (-j 1): the timer interrupts the analysis."""
    root = _tree(tmp_path, 2)
    script = (
        "import sys, time\n"
        "import zlint.rules.zl001_submodule_state_mutation as m\n"
        "real = m.SubmoduleStateMutationInForward.check\n"
        "def slow(self, ctx):\n"
        "    if ctx.path.name == 'm1.py':\n"
        "        while True: time.sleep(0.05)\n"
        "    return real(self, ctx)\n"
        "m.SubmoduleStateMutationInForward.check = slow\n"
        "from zlint.cli import main\n"
        "sys.argv = ['zlint', 'check', '--no-cache', '-j', '1', '--file-timeout', '1', '.']\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "internal error in ZL001 while checking m1.py: took longer than 1 s" in proc.stderr
    assert "m0.py:10:9: ZL001" in proc.stdout


def test_a_worker_that_fails_at_start_up_ends_the_run(tmp_path):
    root = _tree(tmp_path)
    proc = _zlint(root, "-j", "2", env={"ZLINT_TEST_WORKER_START_FAILS": "1"}, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "zlint: error: a worker process could not start: RuntimeError: worker start-up failure"
    )
    assert "Traceback" not in proc.stderr


def test_kill_9_of_a_worker_mid_run(tmp_path):
    root = _tree(tmp_path / "tree")
    marker = tmp_path / "worker.pid"
    env = dict(os.environ, ZLINT_TEST_WORKER_FAULT="m2.py:hang", ZLINT_TEST_HANG_PIDFILE=str(marker))
    proc = subprocess.Popen(
        [sys.executable, "-m", "zlint", "check", "--no-cache", "-j", "2", "--output-format", "concise", "."],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        victim = int(marker.read_text())  # the worker stuck on m2.py
        assert victim in _children(proc.pid)
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, err
    assert "internal error in reading while checking m2.py: worker process killed by SIGKILL\n" in err
    assert len([line for line in out.splitlines() if ": ZL001 " in line]) == 7


def test_ctrl_c_stops_the_run_quietly(tmp_path):
    root = _tree(tmp_path)
    cache = tmp_path / "cache"
    proc = subprocess.Popen(
        [sys.executable, "-m", "zlint", "check", "--cache-dir", str(cache), "-j", "2", "."],
        cwd=root,
        env=dict(os.environ, ZLINT_TEST_WORKER_FAULT="m0.py:hang"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert len(workers) >= 2
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert err == "zlint: interrupted\n"
    assert out == ""
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2], (
            f"worker {pid} outlived the run"
        )
    assert not cache.exists() or not list(cache.glob("results-*")), "an interrupted run wrote its cache"
