"""The command-line conventions a Ruff user expects: --show-fixes, the unsafe-fix hint,
--statistics in every format and to -o, -o creating its folder (and failing early), ZLINT_OUTPUT_FORMAT,
the cache warning, --exit-non-zero-on-fix, NO_COLOR, one-line messages, options refused with
fixing, reporters reading the text the run read, JUnit attributes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "data" / "fix_cases"

MODEL = """\
import torch.nn as nn


class Leaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.flag = False

    def forward(self, x):
        return x if self.flag else -x


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.leaf = Leaf()
        self.blocks = nn.ModuleList([nn.Linear(2, 2)])

    def forward(self, x, flag):
        self.leaf.flag = flag
        self.blocks[
            0
        ].mode = 1
        return self.leaf(x)
"""


def zlint(*args, cwd, stdin=None, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "ZLINT_OUTPUT_FORMAT", "ZLINT_CACHE_DIR")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "zlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.zlint]\n")
    (tmp_path / "model.py").write_text(MODEL)
    return tmp_path


def test_messages_stay_on_one_line(project):
    for fmt in ("concise", "text"):
        out = zlint("check", "--no-cache", "--output-format", fmt, ".", cwd=project).stdout
        heads = [line for line in out.splitlines() if ": ZL" in line]
        assert len(heads) == 2, out
        assert any("`self.blocks[ 0 ]`" in line for line in heads), out
    concise = zlint("check", "--no-cache", "--output-format", "concise", ".", cwd=project).stdout
    assert all(line.startswith("model.py:") or line.startswith(("Found", "[*]")) for line in concise.splitlines())


def test_statistics_in_every_format_and_to_output_file(project):
    text = zlint("check", "--no-cache", "--statistics", ".", cwd=project)
    assert text.returncode == 1 and "\tZL001\t" in text.stdout and text.stdout.rstrip().endswith("Found 2 errors.")
    as_json = json.loads(
        zlint("check", "--no-cache", "--statistics", "--output-format", "json", ".", cwd=project).stdout
    )
    assert as_json == [{"code": "ZL001", "name": "submodule-state-mutation-in-forward", "count": 2, "fixable": 1}]
    target = project / "new" / "folder" / "stats.json"
    written = zlint(
        "check", "--no-cache", "--statistics", "--output-format", "json", "-o", str(target), ".", cwd=project
    )
    assert written.stdout == "" and json.loads(target.read_text())[0]["count"] == 2


def test_output_file_creates_its_folder_and_fails_early(project):
    report = project / "reports" / "deep" / "out.sarif"
    assert zlint("check", "--no-cache", "--output-format", "sarif", "-o", str(report), ".", cwd=project).returncode == 1
    assert json.loads(report.read_text())["version"] == "2.1.0"
    (project / "blocker").write_text("a file, not a folder")
    failed = zlint("check", "--no-cache", "-o", "blocker/out.txt", ".", cwd=project)
    assert failed.returncode == 2 and "cannot write blocker/out.txt" in failed.stderr
    assert "ZL001" not in failed.stdout + failed.stderr  # refused before the run


def test_output_format_from_the_environment(project):
    out = zlint("check", "--no-cache", ".", cwd=project, ZLINT_OUTPUT_FORMAT="json")
    assert json.loads(out.stdout)["version"] == 1
    explicit = zlint("check", "--no-cache", "--output-format", "concise", ".", cwd=project, ZLINT_OUTPUT_FORMAT="json")
    assert explicit.stdout.startswith("model.py:")
    bad = zlint("check", ".", cwd=project, ZLINT_OUTPUT_FORMAT="yaml")
    assert bad.returncode == 2 and "yaml" in bad.stderr


def test_unwritable_cache_is_a_warning(project):
    (project / "not_a_folder").write_text("")
    out = zlint("check", "--cache-dir", "not_a_folder/cache", ".", cwd=project)
    assert out.returncode == 1
    assert "warning: cannot write the cache in not_a_folder/cache" in out.stderr


def test_colour_only_on_request_and_never_with_no_color(project):
    plain = zlint("check", "--no-cache", ".", cwd=project).stdout
    assert "\x1b[" not in plain  # not a terminal
    forced = zlint("check", "--no-cache", ".", cwd=project, FORCE_COLOR="1").stdout
    assert "\x1b[1mmodel.py:" in forced
    assert "\x1b[" not in zlint("check", "--no-cache", ".", cwd=project, FORCE_COLOR="1", NO_COLOR="1").stdout


def test_show_fixes_and_exit_non_zero_on_fix(tmp_path):
    work = tmp_path / "w"
    shutil.copytree(CASES / "depth1" / "before", work)
    (work / "pyproject.toml").write_text("[tool.zlint]\n")
    out = zlint("fix", "--show-fixes", "--exit-non-zero-on-fix", ".", cwd=work)
    assert "Fixed pkg/model.py:14:13: ZL001 submodule-state-mutation-in-forward" in out.stderr, out.stderr
    assert out.returncode == 1  # everything fixed, yet non-zero as asked
    assert zlint("fix", "--exit-non-zero-on-fix", ".", cwd=work).returncode == 0  # nothing left to fix


def test_check_hints_at_unsafe_fixes(tmp_path):
    work = tmp_path / "w"
    shutil.copytree(CASES / "unsafe_read_elsewhere" / "before", work)
    out = zlint("check", "--no-cache", ".", cwd=work)
    assert "can be enabled with the `--unsafe-fixes` option" in out.stdout, out.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (("fix", "-j", "2"), "-j/--jobs cannot be used with fixing"),
        (("fix", "--cache-dir", "c"), "--cache-dir cannot be used with fixing"),
        (("check", "--fix", "--statistics"), "--statistics cannot be combined with fixing"),
        (("check", "--fix", "--baseline", "b.json"), "--baseline cannot be combined with fixing"),
        (("check", "--diff", "--runtime-report", "r.json"), "--runtime-report cannot be combined with fixing"),
    ],
)
def test_options_fixing_cannot_honour_are_refused(project, args, needle):
    before = (project / "model.py").read_text()
    out = zlint(*args, ".", cwd=project)
    assert out.returncode == 2 and needle in out.stderr
    assert (project / "model.py").read_text() == before


def test_stdin_filename_shows_the_buffer_not_the_file(project):
    buffer = MODEL.replace("self.leaf.flag = flag", "self.leaf.flag = flag  # from the buffer")
    out = zlint("check", "--no-cache", "--stdin-filename", "model.py", "-", cwd=project, stdin=buffer)
    assert "# from the buffer" in out.stdout, out.stdout
    baseline = project / "base.json"
    zlint(
        "check",
        "--no-cache",
        "--write-baseline",
        str(baseline),
        "--stdin-filename",
        "model.py",
        "-",
        cwd=project,
        stdin=buffer,
    )
    after = zlint(
        "check",
        "--no-cache",
        "--baseline",
        str(baseline),
        "--stdin-filename",
        "model.py",
        "-",
        cwd=project,
        stdin=buffer,
    )
    assert after.returncode == 0, after.stdout + after.stderr


def test_junit_has_file_line_and_time(project):
    root = ET.fromstring(zlint("check", "--no-cache", "--output-format", "junit", ".", cwd=project).stdout)
    suite = root.find("testsuite")
    assert float(suite.get("time")) > 0
    cases = suite.findall("testcase")
    assert [(c.get("file"), c.get("line")) for c in cases] == [("model.py", "20"), ("model.py", "21")]


def test_show_suppressed_outside_sarif(project):
    import jsonschema

    text = (
        (project / "model.py")
        .read_text()
        .replace("self.leaf.flag = flag", "self.leaf.flag = flag  # zlint: ignore[ZL001]")
    )
    (project / "model.py").write_text(text)
    concise = zlint("check", "--no-cache", "--output-format", "concise", "--show-suppressed", ".", cwd=project).stdout
    assert "model.py:20:9: ZL001" in concise and concise.count("(suppressed)") == 1
    assert "(suppressed)" not in zlint("check", "--no-cache", "--output-format", "concise", ".", cwd=project).stdout
    document = json.loads(
        zlint("check", "--no-cache", "--output-format", "json", "--show-suppressed", ".", cwd=project).stdout
    )
    jsonschema.validate(document, json.loads((REPO / "docs" / "json-output.schema.json").read_text()))
    assert [f["location"]["row"] for f in document["suppressed"]] == [20]
