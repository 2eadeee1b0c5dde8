"""A real pre-commit run of this repository's hooks in a throwaway git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "tests" / "data" / "fix_cases" / "depth1"

CLEAN = "def helper(x):\n    return x + 1\n"


def _run(args, cwd, env):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def precommit_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = dict(
        os.environ,
        PRE_COMMIT_HOME=str(home),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    env.pop("GITHUB_ACTIONS", None)
    return env


@pytest.fixture
def project(tmp_path, precommit_env):
    root = tmp_path / "project"
    shutil.copytree(CASE / "before", root)
    (root / "pyproject.toml").write_text("[tool.zlint]\n")
    (root / "clean.py").write_text(CLEAN)
    assert _run(["git", "init", "-q"], root, precommit_env).returncode == 0
    _run(["git", "add", "-A"], root, precommit_env)
    return root


def _pre_commit(*args):
    return [sys.executable, "-m", "pre_commit", *args]


@pytest.mark.slow
def test_hooks_find_fix_and_pass(project, precommit_env):
    check = _run(_pre_commit("try-repo", str(REPO), "zlint", "--files", "pkg/model.py"), project, precommit_env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "pkg/model.py:14:13: ZL001" in check.stdout
    fix = _run(_pre_commit("try-repo", str(REPO), "zlint-fix", "--files", "pkg/model.py"), project, precommit_env)
    assert "flag_override=flag" in (project / "pkg" / "model.py").read_text(), fix.stdout + fix.stderr
    assert "flag_override" in (project / "pkg" / "leaf.py").read_text(), "the hook resolves files it was not given"
    again = _run(_pre_commit("try-repo", str(REPO), "zlint", "--all-files"), project, precommit_env)
    assert again.returncode == 0, again.stdout + again.stderr
    clean = _run(_pre_commit("try-repo", str(REPO), "zlint", "--files", "clean.py"), project, precommit_env)
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_a_commit_with_a_violation_is_refused(project, precommit_env):
    head = _run(["git", "rev-parse", "HEAD"], REPO, precommit_env).stdout.strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: zlint\n"
    )
    assert _run(_pre_commit("install"), project, precommit_env).returncode == 0
    _run(["git", "add", "-A"], project, precommit_env)
    refused = _run(["git", "commit", "-q", "-m", "add a model"], project, precommit_env)
    assert refused.returncode != 0
    assert "ZL001" in refused.stdout + refused.stderr
    (project / "pkg" / "model.py").write_text(
        (project / "pkg" / "model.py").read_text().replace("            layer.leaf.flag = flag\n", "")
    )
    (project / "pkg" / "leaf.py").write_text((project / "pkg" / "leaf.py").read_text())
    _run(["git", "add", "-A"], project, precommit_env)
    accepted = _run(["git", "commit", "-q", "-m", "no mutation"], project, precommit_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


@pytest.mark.slow
def test_force_exclude_in_the_hooks_and_one_run_each(project, precommit_env):
    """pre-commit names excluded files too: the shipped hooks leave them alone, run zlint once
    for all the files (require_serial), and the fix hook does not repeat the check hook's report."""
    vendored = project / "vendor" / "pkg"
    shutil.copytree(project / "pkg", vendored)
    (project / "pyproject.toml").write_text("[tool.zlint]\nextend-exclude = ['vendor']\n")
    vendored_text = (vendored / "model.py").read_text()
    _run(["git", "add", "-A"], project, precommit_env)
    files = ["pkg/model.py", "vendor/pkg/model.py", "vendor/pkg/leaf.py", "clean.py"]
    check = _run(_pre_commit("try-repo", str(REPO), "zlint", "--files", *files), project, precommit_env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "pkg/model.py:14:13: ZL001" in check.stdout and "vendor/" not in check.stdout
    assert check.stdout.count("Found 1 error.") == 1  # one zlint process for every file
    fix = _run(_pre_commit("try-repo", str(REPO), "zlint-fix", "--files", *files), project, precommit_env)
    assert "flag_override=flag" in (project / "pkg" / "model.py").read_text(), fix.stdout + fix.stderr
    assert (vendored / "model.py").read_text() == vendored_text, "an excluded file was edited"
    assert fix.stdout.count("Fixed 1 error.") == 1
    assert "ZL001" not in fix.stdout  # what is left is the check hook's to report
    only_vendor = _run(
        _pre_commit("try-repo", str(REPO), "zlint", "--files", "vendor/pkg/model.py"), project, precommit_env
    )
    assert only_vendor.returncode == 0, only_vendor.stdout + only_vendor.stderr
