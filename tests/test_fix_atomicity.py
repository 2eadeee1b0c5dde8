"""A fix killed between file writes leaves every file wholly old or wholly new, and a rerun
completes it. Read-only targets are refused with nothing written."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "tests" / "data" / "fix_cases" / "depth2"


def _files(root: Path):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def _fix(root: Path, **env):
    full_env = dict(os.environ, **env)
    return subprocess.run(
        [sys.executable, "-m", "zlint", "fix", "--no-cache", "."], cwd=root, env=full_env,
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("kill_after", [0, 1, 2, 3])
def test_killed_fix_leaves_whole_files_and_a_rerun_completes(tmp_path, kill_after):
    work = tmp_path / "work"
    shutil.copytree(CASE / "before", work)
    before, after = _files(CASE / "before"), _files(CASE / "after")
    proc = _fix(work, ZLINT_TEST_KILL_AFTER_WRITES=str(kill_after))
    assert proc.returncode == -signal.SIGKILL
    now = _files(work)
    changed = [name for name in now if now[name] != before[name]]
    for name, data in now.items():
        assert data in (before[name], after[name]), f"{name} is neither the old nor the new file"
    assert len(changed) == kill_after
    rerun = _fix(work)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _files(work) == after
    assert not list(work.rglob("*.zlint-tmp"))


def test_read_only_target_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    """The check uses os.access, so it holds for a user without write permission. The suite runs
    as root on CI, where permission bits do not stop writes, so the refusal is simulated there by
    answering os.access the way the kernel does for an ordinary user and a 0444 file."""
    from zlint.config import Config
    from zlint.fix import apply as apply_module
    from zlint.fix.apply import FixError
    from zlint.fix.run import apply_fixes, plan_fixes
    from tests.helpers import chdir

    work = tmp_path / "work"
    shutil.copytree(CASE / "before", work)
    target = work / "pkg" / "block.py"
    target.chmod(0o444)
    before = _files(work)
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if Path(path) == target and mode & os.W_OK:
            return bool(target.stat().st_mode & 0o200)
        return real_access(path, mode, *args, **kwargs)

    with chdir(work):
        outcome = plan_fixes([Path(".")], Config(project_root=work))
        monkeypatch.setattr(apply_module.os, "access", access)
        with pytest.raises(FixError, match="block.py is not writable; no file was changed"):
            apply_fixes(outcome)
    assert _files(work) == before
    assert not list(work.rglob("*.zlint-tmp"))
