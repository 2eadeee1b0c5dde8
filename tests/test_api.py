"""zlint.api: the one entry point the CLI, the benches and the tests share."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zlint.api import ConfigError, RunOptions, check, fix, load_settings
from zlint.config import Config

from helpers import chdir

DATA = Path(__file__).parent / "data"


def _copy(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(DATA / name, root)
    return root


def _cli_json(root: Path, *args: str) -> list:
    proc = subprocess.run(
        [sys.executable, "-m", "zlint", "check", "--no-cache", "--output-format", "json", "--exit-zero", *args, "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return [(f["filename"], f["code"], f["location"]["row"], f["message"]) for f in json.loads(proc.stdout)["findings"]]


def _api(result) -> list:
    return [(f.path, f.code, f.start.line, f.message) for f in result.findings]


def test_check_gives_what_the_command_line_gives(tmp_path):
    root = _copy(tmp_path, "mixed")
    with chdir(root):
        result = check([Path(".")], load_settings([Path(".")], select=["ALL"]), RunOptions(cache=False, jobs=1))
    assert result.findings, "the mixed fixture holds findings of several rules"
    assert sorted(_api(result)) == sorted((p, c, r, m) for p, c, r, m in _cli_json(root, "--select", "ALL"))


def test_selection_is_an_argument_of_load_settings(tmp_path):
    root = _copy(tmp_path, "mixed")
    with chdir(root):
        only = check([Path(".")], load_settings([Path(".")], select=["ZL001"]), RunOptions(cache=False, jobs=1))
        every = check([Path(".")], load_settings([Path(".")], select=["ALL"]), RunOptions(cache=False, jobs=1))
    assert {f.code for f in only.findings} == {"ZL001"}
    assert len(every.findings) > len(only.findings)


def test_unknown_selector_is_refused_before_any_file_is_read(tmp_path):
    with pytest.raises(ConfigError, match="ZL9"):
        load_settings([tmp_path], select=["ZL9"])


def test_config_is_frozen(tmp_path):
    config = Config(project_root=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.select = ["ALL"]  # type: ignore[misc]


def test_fix_without_write_changes_no_file_and_with_write_leaves_nothing_fixable(tmp_path):
    root = _copy(tmp_path, "zimage_tree")
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    with chdir(root):
        settings = load_settings([Path(".")])
        planned = fix([Path(".")], settings, write=False)
        assert planned.edits and planned.after is None
        assert {p: p.read_bytes() for p in root.rglob("*.py")} == before
        done = fix([Path(".")], settings)
    assert done.after is not None
    assert {edit.path for edit in done.edits} == {edit.path for edit in planned.edits}
    for edit in done.edits:
        assert Path(edit.path).read_bytes() == edit.new
    fixed_places = {(f.path, f.start.line) for f in done.applied}
    assert not [f for f in done.after.findings if f.fixable and (f.path, f.start.line) in fixed_places]
