"""Settings per file: validated once before any worker starts, looked up per path (monorepos),
force-exclude, target-version, --show-settings/--show-files, configuration errors as exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import run_cli

BAD = """\
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Linear(2, 2)

    def forward(self, x):
        self.block.flag = True
        return self.block(x)
"""


def zlint(*args, cwd, **env):
    return subprocess.run(
        [sys.executable, "-m", "zlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


@pytest.mark.parametrize("jobs", ["1", "4"])
def test_per_file_ignores_typo_exits_two_at_once_with_any_jobs(tree, jobs):
    files = {f"pkg/m{i}.py": BAD for i in range(8)}
    root = tree({**files, "pyproject.toml": '[tool.zlint]\nper-file-ignores = {"pkg/*" = ["ZL9"]}\n'})
    started = time.monotonic()
    proc = zlint("check", "--no-cache", "-j", jobs, ".", cwd=root)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr  # one line, no worker tracebacks
    assert "`ZL9`" in proc.stderr and 'per-file-ignores."pkg/*"' in proc.stderr
    assert str(root / "pyproject.toml") in proc.stderr
    assert elapsed < 30, "a typo must not start (or respawn) workers"  # the real bound is seconds; CI is slow


@pytest.mark.parametrize("option,value", [("--select", "ZL9"), ("--ignore", "XX1"), ("--extend-select", "ZL7")])
def test_unknown_codes_on_the_command_line_are_clear_errors(tree, option, value):
    root = tree({"m.py": BAD})
    proc = zlint("check", option, value, ".", cwd=root)
    assert proc.returncode == 2
    assert f"unknown rule selector `{value}` in {option}" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("key,value", [("select", "['ZL9']"), ("ignore", "['ZL8']"), ("extend-select", "['Q']")])
def test_unknown_codes_in_the_file_name_key_value_and_file(tree, key, value):
    root = tree({"m.py": BAD, "pyproject.toml": f"[tool.zlint]\n{key} = {value}\n"})
    proc = zlint("check", ".", cwd=root)
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert "\n" not in line and f"`{key}` of {root / 'pyproject.toml'}" in line and eval(value)[0] in line


def test_select_empty_is_an_error(tree):
    root = tree({"m.py": BAD})
    proc = zlint("check", "--select", "", ".", cwd=root)
    assert proc.returncode == 2 and "selects no rule" in proc.stderr


@pytest.mark.parametrize(
    "text",
    [
        "tool = 3\n",
        "[tool]\nblack = 1\n",
        "[project\nname = 'broken toml of another tool'\n",
        "\xff\xfe not even utf-8",
    ],
)
def test_a_pyproject_without_tool_zlint_is_never_an_error(tmp_path, text):
    (tmp_path / "pyproject.toml").write_bytes(text.encode("latin-1"))
    child = tmp_path / "child"
    (child / "pkg").mkdir(parents=True)
    (child / "pkg" / "m.py").write_text(BAD)
    for cwd, path in ((tmp_path, "child"), (child, ".")):  # the file itself, and as a parent's
        proc = zlint("check", "--no-cache", path, cwd=cwd)
        assert proc.returncode == 1, proc.stderr
        assert "ZL001" in proc.stdout


@pytest.mark.parametrize(
    "table,needle",
    [
        ("zlint = 3", "[tool.zlint] must be a table"),
        ("zlint = {select = 3}", "`select` must be a list of strings, got 3"),
        ("zlint = {respect-gitignore = 'yes'}", "`respect-gitignore` must be true or false, got 'yes'"),
        ("zlint = {target-version = 'py2'}", "`target-version` must be a Python version"),
        ("zlint = {force-exclude = 1}", "`force-exclude` must be true or false, got 1"),
        ("zlint = {per-file-ignores = []}", "`per-file-ignores` must be a table"),
    ],
)
def test_wrong_types_are_configuration_errors(tree, table, needle):
    root = tree({"m.py": BAD, "pyproject.toml": f"[tool]\n{table}\n"})
    proc = zlint("check", ".", cwd=root)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and str(root / "pyproject.toml") in proc.stderr
    assert "internal error" not in proc.stderr and proc.stderr.count("\n") == 1


def _monorepo(tree):
    return tree(
        {
            "a/pyproject.toml": "[tool.zlint]\nignore = ['ZL001']\n",
            "a/m.py": BAD,
            "b/pyproject.toml": "[tool.zlint]\nextend-exclude = ['skipped.py']\n",
            "b/m.py": BAD,
            "b/skipped.py": BAD,
        }
    )


def test_monorepo_order_does_not_change_results(tree):
    root = _monorepo(tree)
    forward = zlint("check", "--no-cache", "--output-format", "json", "a", "b", cwd=root)
    backward = zlint("check", "--no-cache", "--output-format", "json", "b", "a", cwd=root)
    assert forward.stdout == backward.stdout
    found = {(f["filename"], f["code"]) for f in json.loads(forward.stdout)["findings"]}
    assert found == {(os.path.join("b", "m.py"), "ZL001")}  # a/ ignores ZL001; b/ excludes skipped.py


def test_force_exclude_applies_excludes_to_explicit_paths(tree):
    root = tree(
        {
            "pyproject.toml": "[tool.zlint]\nextend-exclude = ['generated', 'skip_me.py']\n",
            "generated/m.py": BAD,
            "skip_me.py": BAD,
            "kept.py": BAD,
        }
    )
    given = ["generated/m.py", "skip_me.py", "kept.py"]
    plain = zlint("check", "--no-cache", "--output-format", "concise", *given, cwd=root)
    assert plain.stdout.count("ZL001") == 3  # explicit paths win without it, as in Ruff
    forced = zlint("check", "--no-cache", "--force-exclude", "--output-format", "concise", *given, cwd=root)
    assert forced.stdout.count("ZL001") == 1 and "kept.py" in forced.stdout
    by_setting = tree({"pyproject.toml": "[tool.zlint]\nextend-exclude = ['skip_me.py']\nforce-exclude = true\n"})
    assert zlint("check", "--no-cache", "skip_me.py", cwd=by_setting).returncode == 0


PEP695 = """\
import torch.nn as nn

type Alias[T] = list[T]


class Block[T](nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 2)

    def forward[U](
        self, x: U
    ) -> U:
        self.inner.flag = True
        return self.inner(x)


def pick[K, **P, *Ts](items: list[K]) -> K:
    return items[0]
"""


def test_target_version_parses_newer_syntax(tree):
    root = tree({"m.py": PEP695})
    proc = zlint("check", "--no-cache", "--target-version", "3.12", "--output-format", "concise", ".", cwd=root)
    assert "m.py:14:9: ZL001" in proc.stdout, proc.stdout + proc.stderr  # positions kept
    assert "ZL000" not in proc.stdout
    if sys.version_info < (3, 12):  # without the setting this interpreter cannot read the file
        plain = zlint("check", "--no-cache", "--output-format", "concise", ".", cwd=root)
        assert "ZL000" in plain.stdout
    configured = tree({"pyproject.toml": "[tool.zlint]\ntarget-version = 'py312'\n"})
    assert "ZL001" in zlint("check", "--no-cache", ".", cwd=configured).stdout


def test_show_settings_and_show_files(tree):
    root = _monorepo(tree)
    settings = zlint("check", "--show-settings", "b/m.py", cwd=root)
    assert settings.returncode == 0
    assert f"config-file = {root / 'b' / 'pyproject.toml'}" in settings.stdout
    assert "extend-exclude = ['skipped.py']" in settings.stdout
    files = zlint("check", "--show-files", "a", "b", cwd=root)
    assert files.stdout.split() == [os.path.join("a", "m.py"), os.path.join("b", "m.py")]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not bind root")
def test_unreadable_folder_and_file_are_zl000_and_the_run_goes_on(tree):
    root = tree({"locked/m.py": BAD, "secret.py": BAD, "ok.py": BAD, ".gitignore": "*.log\n"})
    (root / "locked").chmod(0)
    (root / "secret.py").chmod(0)
    try:
        proc = zlint("check", "--no-cache", "--output-format", "concise", ".", cwd=root)
    finally:
        (root / "locked").chmod(0o755)
        (root / "secret.py").chmod(0o644)
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("locked:1:1: ZL000 cannot read folder") for line in lines), proc.stdout
    assert any(line.startswith("secret.py:1:1: ZL000 cannot read file") for line in lines), proc.stdout
    assert any(line.startswith("ok.py:10:9: ZL001") for line in lines)
    assert "All checks passed" not in proc.stdout


def test_config_inline_override_and_file(tree):
    root = tree({"m.py": BAD, "other.toml": "ignore = ['ZL001']\n"})
    assert zlint("check", "--no-cache", "--config", "ignore = ['ZL001']", ".", cwd=root).returncode == 0
    assert zlint("check", "--no-cache", "--config", "other.toml", ".", cwd=root).returncode == 0
    bad = zlint("check", "--config", "ignore = [", ".", cwd=root)
    assert bad.returncode == 2 and "neither a file nor valid TOML" in bad.stderr
    assert run_cli(["check", "--no-cache", "--config", "select = ['ZL002']", "."], root).exit_code == 0


def test_unreadable_folder_is_zl000_even_where_permissions_do_not_bind(tree, monkeypatch):
    """The same as above through a folder listing and a .gitignore lookup that fail (as root,
    chmod 0 does not stop reads, so the failure is simulated)."""
    import zlint.discovery as discovery

    root = tree({"locked/m.py": BAD, "odd/m.py": BAD, "ok.py": BAD})
    real_scandir, real_is_file = os.scandir, Path.is_file

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    def is_file(self):
        if self.name == ".gitignore" and self.parent.name == "odd":
            raise PermissionError(13, "Permission denied")
        return real_is_file(self)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    monkeypatch.setattr(Path, "is_file", is_file)
    out = run_cli(["check", "--no-cache", "--output-format", "concise", "."], root)
    assert out.exit_code == 1, out.output
    assert "locked:1:1: ZL000 cannot read folder: Permission denied" in out.output
    assert "odd/m.py:10:9: ZL001" in out.output and "ok.py:10:9: ZL001" in out.output


def test_target_version_fixes_newer_syntax(tree):
    code = PEP695.replace(
        "self.inner.flag = True\n        return self.inner(x)", "self.inner.flag = True\n        return self.inner(x)"
    ).replace("        self.inner = nn.Linear(2, 2)", "        self.inner = Leaf()")
    code += (
        "\n\nclass Leaf(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.flag = False\n\n    def forward(self, x):\n        return x if self.flag else -x\n"
    )
    root = tree({"m.py": code})
    proc = zlint("fix", "--target-version", "3.12", ".", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fixed = (root / "m.py").read_text()
    assert "self.inner(x, flag_override=True)" in fixed and "class Block[T](nn.Module):" in fixed


def test_force_exclude_with_stdin_filename(tree):
    root = tree({"pyproject.toml": "[tool.zlint]\nextend-exclude = ['generated']\n"})
    args = ("check", "--no-cache", "--stdin-filename", "generated/m.py", "-")
    proc = subprocess.run(
        [sys.executable, "-m", "zlint", *args, "--force-exclude"],
        cwd=root,
        input=BAD,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr
    plain = subprocess.run(
        [sys.executable, "-m", "zlint", *args], cwd=root, input=BAD, capture_output=True, text=True, timeout=60
    )
    assert plain.returncode == 1 and "generated/m.py:10:9: ZL001" in plain.stdout


def test_unreadable_folder_follows_the_selection(tree, monkeypatch):
    import zlint.discovery as discovery

    root = tree({"locked/m.py": BAD, "ok.py": BAD, "pyproject.toml": "[tool.zlint]\nignore = ['ZL000']\n"})
    real_scandir = os.scandir
    monkeypatch.setattr(
        discovery.os,
        "scandir",
        lambda path: (
            (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
            if Path(path).name == "locked"
            else real_scandir(path)
        ),
    )
    out = run_cli(["check", "--no-cache", "--output-format", "concise", "."], root)
    assert "ZL000" not in out.output and "ok.py:10:9: ZL001" in out.output
