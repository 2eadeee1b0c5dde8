"""Output formats for machines: SARIF (validated against the OASIS schema), GitHub workflow
commands, JUnit, statistics."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from zlint.report.github import escape_data, escape_property
from tests.helpers import run_cli

DATA = Path(__file__).parent / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif" / "sarif-schema-2.1.0.json").read_text())

MODEL = """\
import torch.nn as nn


class Leaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.flag = False; self.attn = Attn()  # noqa: E702 - keeps the line numbers below

    def forward(self, x):
        return x if self.flag else -x


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.leaf = Leaf()
        self.other = nn.Linear(2, 2)

    def forward(self, x, flag):
        self.leaf.flag = flag
        self.other.mode = "fast"  # zlint: ignore[ZL001]
        n = self.leaf.attn.inner.heads
        return self.leaf(x) * n


class Inner(nn.Module):
    heads = 2


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()
"""


@pytest.fixture
def project(tree):
    return tree({"pkg/__init__.py": "", "pkg/model.py": MODEL})


def test_sarif_is_valid_and_complete(project):
    out = run_cli(["check", "--no-cache", "--output-format", "sarif", "--show-suppressed", "."], project)
    document = json.loads(out.output)
    jsonschema.validate(document, SARIF_SCHEMA)
    run = document["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert {"ZL000", "ZL001", "ZL002", "ZL003", "ZL004", "ZL005", "ZL006"} <= set(rules)
    for rule in rules.values():
        assert (
            rule["name"]
            and rule["shortDescription"]["text"]
            and rule["fullDescription"]["text"]
            and rule["help"]["text"]
        )
    by_rule = {}
    for result in run["results"]:
        by_rule.setdefault(result["ruleId"], []).append(result)
    [fixable] = [r for r in by_rule["ZL001"] if "suppressions" not in r]
    region = fixable["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (20, 9)
    assert fixable["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/model.py"
    change = fixable["fixes"][0]["artifactChanges"][0]
    assert any("flag_override=flag" in r["insertedContent"]["text"] for r in change["replacements"])
    [suppressed] = [r for r in by_rule["ZL001"] if "suppressions" in r]
    assert suppressed["suppressions"] == [{"kind": "inSource"}]
    assert by_rule["ZL005"][0]["level"] == "warning"


def test_sarif_without_show_suppressed_has_no_suppressions(project):
    out = run_cli(["check", "--no-cache", "--output-format", "sarif", "."], project)
    document = json.loads(out.output)
    jsonschema.validate(document, SARIF_SCHEMA)
    assert all("suppressions" not in r for r in document["runs"][0]["results"])


def test_github_annotations(project):
    out = run_cli(["check", "--no-cache", "--output-format", "github", "."], project)
    lines = out.output.splitlines()
    assert lines[0].startswith("::error file=pkg/model.py,line=20,col=9,endLine=20,endColumn=23,title=ZL001 ")
    assert any(line.startswith("::warning file=pkg/model.py,line=22") for line in lines)


def test_github_escaping_of_properties_and_messages():
    assert escape_property("dir,with:odd%name\nx.py") == "dir%2Cwith%3Aodd%25name%0Ax.py"
    assert escape_data("100% sure: a, b\r\nc") == "100%25 sure: a, b%0D%0Ac"


def test_github_format_escapes_paths_with_special_characters(tree):
    root = tree({"odd,dir:x%y/model.py": MODEL})
    out = run_cli(["check", "--no-cache", "--output-format", "github", "."], root)
    assert "::error file=odd%2Cdir%3Ax%25y/model.py,line=20," in out.output


def test_github_is_the_default_on_github_actions(project, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = run_cli(["check", "--no-cache", "."], project)
    assert out.output.startswith("::error ")
    out = run_cli(["check", "--no-cache", "--output-format", "concise", "."], project)
    assert out.output.startswith("pkg/model.py:20:9: ZL001")


def test_junit(project):
    out = run_cli(["check", "--no-cache", "--output-format", "junit", "."], project)
    root = ET.fromstring(out.output.split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite.get("name") == "zlint" and suite.get("failures") == "2"
    failures = [case.find("failure") for case in suite.findall("testcase")]
    assert [f.get("type") for f in failures] == ["ZL001", "ZL005"]


def test_junit_clean_run_has_one_passing_case(tree):
    root = tree({"ok.py": "x = 1\n"})
    out = run_cli(["check", "--no-cache", "--output-format", "junit", "."], root)
    suite = ET.fromstring(out.output.split("\n", 1)[1]).find("testsuite")
    assert suite.get("failures") == "0" and len(suite.findall("testcase")) == 1


def test_statistics(project):
    out = run_cli(["check", "--no-cache", "--statistics", "."], project)
    assert out.exit_code == 1
    lines = out.output.splitlines()
    assert "1\tZL001\t[*] submodule-state-mutation-in-forward" in lines
    assert "1\tZL005\t    wrapper-fragile-submodule-access" in lines


def test_output_file_for_every_format(project):
    for fmt in ("text", "concise", "json", "github", "sarif", "junit"):
        target = project / f"report.{fmt}"
        out = run_cli(["check", "--no-cache", "--output-format", fmt, "--output-file", str(target), "."], project)
        assert out.exit_code == 1 and target.read_text()
