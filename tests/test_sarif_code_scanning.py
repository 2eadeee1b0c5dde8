"""SARIF for code scanning: repository-relative, percent-encoded URIs with a base id, helpUri
per rule (the committed docs/rules pages), partial fingerprints, and the same document whether
the run used the cache and workers or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from zlint.rule_pages import render_pages

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text())

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

    def forward(self, x, flag):
        self.leaf.flag = flag
        return self.leaf(x)
"""


def zlint(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run(
        [sys.executable, "-m", "zlint", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def repository(tmp_path):
    root = tmp_path / "repo"
    project = root / "proj"
    odd = project / "my dir" / "100%" / "ünï"
    odd.mkdir(parents=True)
    (odd / "model file.py").write_text(MODEL)
    (project / "pyproject.toml").write_text("[tool.zlint]\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root, project


def _validate(document):
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, errors[0]


def test_uris_are_repository_relative_and_percent_encoded(repository):
    root, project = repository
    proc = zlint("check", "--no-cache", "--output-format", "sarif", ".", cwd=project)
    document = json.loads(proc.stdout)
    _validate(document)
    run = document["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == root.as_uri() + "/"
    [result] = run["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uriBaseId"] == "SRCROOT"
    assert location["uri"] == "proj/my%20dir/100%25/%C3%BCn%C3%AF/model%20file.py"
    assert unquote(location["uri"]) == "proj/my dir/100%/ünï/model file.py"
    assert (root / unquote(location["uri"])).is_file()
    change = result["fixes"][0]["artifactChanges"][0]["artifactLocation"]
    assert change == location


def test_files_outside_the_root_get_an_absolute_file_uri(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.zlint]\n")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    outside = tmp_path / "elsewhere dir"
    outside.mkdir()
    (outside / "m.py").write_text(MODEL)
    document = json.loads(zlint("check", "--no-cache", "--output-format", "sarif", str(outside), cwd=project).stdout)
    _validate(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (outside / "m.py").as_uri()} and "%20" in location["uri"]


def test_help_uri_points_at_the_committed_rule_page(repository):
    root, project = repository
    document = json.loads(zlint("check", "--no-cache", "--output-format", "sarif", ".", cwd=project).stdout)
    for rule in document["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md")
        assert (REPO / "docs" / "rules" / f"{rule['id']}.md").is_file()


def test_committed_rule_pages_equal_the_generated_ones():
    pages = render_pages()
    committed = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "docs" / "rules").glob("*.md")}
    assert committed == pages, "run `python -m zlint.rule_pages docs/rules` and commit the result"


def test_partial_fingerprints_survive_moved_lines(repository):
    root, project = repository
    first = json.loads(zlint("check", "--no-cache", "--output-format", "sarif", ".", cwd=project).stdout)
    target = next(project.rglob("model file.py"))
    target.write_text("# a new first line\n\n" + MODEL)
    second = json.loads(zlint("check", "--no-cache", "--output-format", "sarif", ".", cwd=project).stdout)
    [before], [after] = first["runs"][0]["results"], second["runs"][0]["results"]
    assert before["partialFingerprints"] == after["partialFingerprints"]
    assert (
        before["locations"][0]["physicalLocation"]["region"]["startLine"] + 2
        == after["locations"][0]["physicalLocation"]["region"]["startLine"]
    )


def test_sarif_is_the_same_cold_warm_and_with_workers(tmp_path):
    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(MODEL)
    (tmp_path / "pyproject.toml").write_text("[tool.zlint]\n")
    cold = zlint("check", "--output-format", "sarif", "-j", "2", ".", cwd=tmp_path)
    assert list((tmp_path / ".zlint_cache").glob("results-*.json")), "SARIF runs write the cache"
    warm = zlint("check", "--output-format", "sarif", ".", cwd=tmp_path)
    serial = zlint("check", "--no-cache", "--output-format", "sarif", "-j", "1", ".", cwd=tmp_path)
    assert cold.stdout == warm.stdout == serial.stdout
    results = json.loads(warm.stdout)["runs"][0]["results"]
    assert len(results) == 6 and all(r["fixes"] for r in results)


def _apply_replacements(text: str, replacements: list) -> str:
    """SARIF replacements (code-point offsets into the original text), applied back to front."""
    for item in sorted(replacements, key=lambda r: r["deletedRegion"]["charOffset"], reverse=True):
        start = item["deletedRegion"]["charOffset"]
        text = text[:start] + item["insertedContent"]["text"] + text[start + item["deletedRegion"]["charLength"] :]
    return text


def test_cached_sarif_fixes_follow_an_edit(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.zlint]\n")
    (tmp_path / "m.py").write_text(MODEL)
    first = zlint("check", "--output-format", "sarif", ".", cwd=tmp_path)
    assert (tmp_path / ".zlint_cache" / "sarif-fixes.json").is_file()
    (tmp_path / "m.py").write_text(MODEL + "# edited after the first run\n")
    second = json.loads(zlint("check", "--output-format", "sarif", ".", cwd=tmp_path).stdout)
    [result] = second["runs"][0]["results"]
    text = _apply_replacements(
        (tmp_path / "m.py").read_text(), result["fixes"][0]["artifactChanges"][0]["replacements"]
    )
    assert "# edited after the first run" in text and text != (tmp_path / "m.py").read_text()
    fixed = zlint("fix", "--diff", ".", cwd=tmp_path).stdout
    assert all(line[1:] in text for line in fixed.splitlines() if line.startswith("+") and not line.startswith("+++"))
    assert first.stdout != json.dumps(second)
