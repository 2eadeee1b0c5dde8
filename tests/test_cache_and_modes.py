"""The result cache and the worker pool: same findings in every mode, and edits invalidate."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import run_cli

DATA = Path(__file__).parent / "data"


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(DATA / "zimage_tree", root)
    shutil.copytree(DATA / "mixed" / "pkg", root / "mixedpkg")
    # Enough files for the worker pool to be used.
    for i in range(12):
        (root / "zimage" / f"extra_{i}.py").write_text(f"def helper_{i}(x):\n    return x + {i}\n")
    return root


def _findings(root: Path, *args):
    out = run_cli(["check", "--output-format", "json", "--select", "ALL", *args, "."], root)
    assert out.exit_code in (0, 1), out.output
    document = json.loads(out.output)
    return [
        (f["filename"], f["location"]["row"], f["location"]["column"], f["code"], f["message"], f["fixable"])
        for f in document["findings"]
    ]


def test_findings_are_identical_in_every_mode(project, tmp_path):
    cache = tmp_path / "cache"
    cold_one = _findings(project, "--no-cache", "-j", "1")
    cold_all = _findings(project, "--no-cache", "-j", "2")
    filling = _findings(project, "--cache-dir", str(cache))
    warm = _findings(project, "--cache-dir", str(cache))
    assert cold_one  # the tree has findings to compare
    assert cold_one == cold_all == filling == warm


def test_warm_run_reads_results_from_the_cache(project, tmp_path):
    from zlint.config import Config
    from zlint.runner import check_paths
    from tests.helpers import chdir

    cache = tmp_path / "cache"
    config = Config(project_root=project)
    with chdir(project):
        first = check_paths([Path(".")], config, jobs=1, cache_dir=cache)
        second = check_paths([Path(".")], config, jobs=1, cache_dir=cache)
    assert first.files_from_cache == 0
    assert second.files_from_cache == second.files_checked > 0
    assert [f.sort_key() for f in first.findings] == [f.sort_key() for f in second.findings]


def test_editing_an_imported_file_changes_a_cross_file_finding(project, tmp_path):
    cache = tmp_path / "cache"
    before = [f for f in _findings(project, "--cache-dir", str(cache)) if f[0] == "zimage/model.py"]
    assert any("USPAttention" in f[4] for f in before)
    usp = project / "zimage" / "layers" / "usp_attention.py"
    usp.write_text(usp.read_text().replace("class USPAttention(", "class SequenceParallelAttention("))
    attention = project / "zimage" / "layers" / "attention.py"
    attention.write_text(attention.read_text().replace("USPAttention", "SequenceParallelAttention"))
    after = [f for f in _findings(project, "--cache-dir", str(cache)) if f[0] == "zimage/model.py"]
    assert any("SequenceParallelAttention" in f[4] for f in after)
    assert not any("USPAttention" in f[4] for f in after)
    assert after == [f for f in _findings(project, "--no-cache") if f[0] == "zimage/model.py"]


def test_touching_a_file_keeps_its_cached_result(project, tmp_path):
    from zlint.config import Config
    from zlint.runner import check_paths
    from tests.helpers import chdir

    cache = tmp_path / "cache"
    config = Config(project_root=project)
    model = project / "zimage" / "model.py"
    with chdir(project):
        check_paths([Path(".")], config, jobs=1, cache_dir=cache)
        stat = model.stat()
        os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))
        again = check_paths([Path(".")], config, jobs=1, cache_dir=cache)
    assert again.files_from_cache == again.files_checked


def test_clean_removes_the_cache(project):
    cache = project / ".zlint_cache"
    run_cli(["check", "."], project)
    assert cache.is_dir() and (cache / "CACHEDIR.TAG").is_file()
    out = run_cli(["clean"], project)
    assert out.exit_code == 0 and not cache.exists()
    assert "No cache" in run_cli(["clean"], project).output


def test_cache_dir_option_and_no_cache(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    run_cli(["check", "--cache-dir", str(elsewhere), "."], project)
    assert list(elsewhere.glob("results-*.json"))
    assert not (project / ".zlint_cache").exists()
    run_cli(["check", "--no-cache", "."], project)
    assert not (project / ".zlint_cache").exists()


def _run_with_stderr(root: Path, stderr_is_terminal: bool):
    """Run the real `zlint check` with stderr on a pseudo-terminal or a pipe; return (stdout, stderr)."""
    import pty
    import subprocess
    import sys

    command = [sys.executable, "-m", "zlint", "check", "--no-cache", "-j", "1", "--output-format", "concise", "."]
    if not stderr_is_terminal:
        proc = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
        return proc.stdout, proc.stderr
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(command, cwd=root, stdout=subprocess.PIPE, stderr=follower, text=True, timeout=120)
        os.close(follower)
        follower = None
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
        return proc.stdout, b"".join(chunks).decode()
    finally:
        os.close(leader)
        if follower is not None:
            os.close(follower)


def test_progress_goes_to_a_terminal_only_and_never_to_stdout(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(260):
        (root / f"module_{i}.py").write_text(f"VALUE_{i} = {i}\n")
    stdout, stderr = _run_with_stderr(root, stderr_is_terminal=True)
    assert "Checked 260/260 files" in stderr
    assert "Checked" not in stdout
    stdout, stderr = _run_with_stderr(root, stderr_is_terminal=False)
    assert "Checked" not in stderr and "Checked" not in stdout
