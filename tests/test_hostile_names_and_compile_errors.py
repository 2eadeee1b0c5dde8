"""JUnit output stays valid XML for any file name; compile-time errors are ZL000."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

from zlint.findings import Finding, Position
from zlint.report.junit import write_junit
from zlint.runner import InternalError, RunResult
from tests.helpers import run_cli
from tests.test_robustness import BAD


@pytest.mark.parametrize(
    "name", ["tab\there.py", "bell\x07.py", "esc\x1b[31m.py", "nul\x00.py", "bad\udcff\udcfe.py", "ok.py"]
)
def test_junit_is_valid_xml_for_any_file_name(name):
    finding = Finding(code="ZL001", name="x", message=f"in {name}", path=name, start=Position(1, 1), end=Position(1, 2))
    result = RunResult(findings=[finding], internal_errors=[InternalError(name, "ZL001", f"boom \x01 {name}")])
    out = io.StringIO()
    write_junit(result, out, {})
    text = out.getvalue()
    text.encode("utf-8")  # no lone surrogates
    root = ET.fromstring(text.split("\n", 1)[1])
    (case, error_case) = root.iter("testcase")
    assert case.get("classname").startswith(name[:3])


@pytest.mark.skipif(sys.platform != "linux", reason="file names of arbitrary bytes")
def test_junit_from_the_command_line_with_a_non_utf8_file_name(tmp_path):
    os.makedirs(tmp_path, exist_ok=True)
    raw = os.fsencode(str(tmp_path)) + b"/m\xff\x01odel.py"
    with open(raw, "wb") as handle:
        handle.write(BAD.encode())
    proc = subprocess.run(
        [sys.executable, "-m", "zlint", "check", "--no-cache", "--output-format", "junit", "."],
        cwd=tmp_path,
        capture_output=True,
    )
    assert proc.returncode == 1, proc.stderr
    root = ET.fromstring(proc.stdout.split(b"\n", 1)[1])
    assert [c.get("classname") for c in root.iter("testcase")] == ["m\\udcff\\x01odel.py"]


@pytest.mark.parametrize(
    "snippet,message",
    [
        ("return 1", "'return' outside function"),
        ("yield 1", "'yield' outside function"),
        ("nonlocal x", "nonlocal declaration not allowed at module level"),
        ("break", "'break' outside loop"),
        ("await x", "'await' outside function"),
        ("def f():\n    await x", "'await' outside async function"),
    ],
)
def test_compile_time_errors_are_zl000_and_fix_does_not_blame_itself(tmp_path, snippet, message):
    (tmp_path / "model.py").write_text(BAD + "\n\n" + snippet + "\n")
    check = run_cli(["check", "--no-cache", "--output-format", "concise", "."], tmp_path)
    assert check.exit_code == 1
    assert f"ZL000 syntax error: {message}" in check.output
    assert "ZL001" not in check.output  # a file Python refuses is not analysed
    fix = run_cli(["fix", "--no-cache", "."], tmp_path)
    assert "unparsable" not in fix.output and fix.exit_code == 1
    assert (tmp_path / "model.py").read_text() == BAD + "\n\n" + snippet + "\n"


def test_a_link_to_a_file_checked_already_gets_the_same_answer(tmp_path):
    (tmp_path / "model.py").write_text(BAD)
    (tmp_path / "alias.py").symlink_to("model.py")
    for jobs in ("1", "2"):
        result = run_cli(["check", "--no-cache", "-j", jobs, "--output-format", "concise", "."], tmp_path)
        assert result.exit_code == 1, result.output
        assert "alias.py:10:9: ZL001" in result.output and "model.py:10:9: ZL001" in result.output
