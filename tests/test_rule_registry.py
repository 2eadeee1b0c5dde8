"""The rule registry: a rule is one file in rules/, found by its name, and nothing else."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from zlint import rules as registry
from zlint.rules import ALL_RULES, RULES_BY_CODE

REPO = Path(__file__).resolve().parent.parent


def test_every_rule_module_is_registered_once_in_code_order():
    files = sorted(p.stem for p in (REPO / "rules").glob("zl[0-9][0-9][0-9]_*.py"))
    assert [rule.code for rule in ALL_RULES] == [name[:5].upper() for name in files]
    assert [rule.__module__.rsplit(".", 1)[1] for rule in ALL_RULES] == files
    assert len(RULES_BY_CODE) == len(ALL_RULES)


def test_parse_errors_are_a_registered_rule_reported_while_reading():
    rule = RULES_BY_CODE["ZL000"]
    assert rule.stage == "read" and rule.name == "parse-error"
    assert all(other.stage == "analysis" for other in ALL_RULES if other is not rule)
    assert rule not in registry.analysis_rules()


def _package_copy(tmp_path: Path) -> Path:
    """An importable copy of the zlint package (engine + rules), as an install lays it out."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "lint", site / "zlint", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "rules", site / "zlint" / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    return site


def _run(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


THROWAWAY_CHECK = """    def check(self, ctx) -> Iterable[Finding]:
        from zlint.findings import Position

        for analysis in ctx.analyses:
            yield Finding(self.code, self.name, f"throwaway saw {analysis.cls.name}", ctx.display_path,
                          Position(1, 1), Position(1, 1))
"""


def test_a_new_rule_is_one_file_and_runs(tmp_path):
    site = _package_copy(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    made = _run(
        site,
        "-m",
        "zlint.dev",
        "new-rule",
        "ZL099",
        "throwaway-rule",
        "--rules-dir",
        str(site / "zlint" / "rules"),
        "--docs-dir",
        str(docs),
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    module = site / "zlint" / "rules" / "zl099_throwaway_rule.py"
    page = docs / "ZL099.md"
    assert module.is_file() and page.read_text().startswith("# throwaway-rule (ZL099)")
    text = module.read_text()
    text = re.sub(r"    def check\(self, ctx\) -> Iterable\[Finding\]:\n        return \(\)\n", THROWAWAY_CHECK, text)
    assert "throwaway saw" in text
    module.write_text(text)

    project = tmp_path / "project"
    project.mkdir()
    (project / "model.py").write_text(
        "import torch.nn as nn\n\n\nclass Model(nn.Module):\n    def forward(self, x):\n        return x\n"
    )
    listed = _run(site, "-m", "zlint", "rules", cwd=project)
    assert re.search(r"^ZL099\s+throwaway-rule\s+no\s+off", listed.stdout, re.MULTILINE), listed.stdout
    ran = _run(
        site, "-m", "zlint", "check", "--no-cache", "--select", "ZL099", "--output-format", "json", ".", cwd=project
    )
    assert ran.returncode == 1, ran.stderr
    found = json.loads(ran.stdout)["findings"]
    assert [(f["code"], f["message"]) for f in found] == [("ZL099", "throwaway saw Model")]
    # The template's own examples run through the engine as the rule tests run them.
    examples = _run(
        site,
        "-c",
        "from zlint.rules import lookup; r = lookup('ZL099'); print(len(r.invalid), len(r.valid), r.default_enabled)",
        cwd=project,
    )
    assert examples.stdout.split() == ["1", "1", "False"]


def test_new_rule_refuses_a_taken_code_and_a_bad_name(tmp_path):
    site = _package_copy(tmp_path)
    taken = _run(
        site,
        "-m",
        "zlint.dev",
        "new-rule",
        "ZL001",
        "again",
        "--rules-dir",
        str(site / "zlint" / "rules"),
        cwd=tmp_path,
    )
    assert taken.returncode == 2 and "ZL001 is taken" in taken.stderr
    bad = _run(
        site,
        "-m",
        "zlint.dev",
        "new-rule",
        "ZL098",
        "Bad_Name",
        "--rules-dir",
        str(site / "zlint" / "rules"),
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "lower-case words" in bad.stderr
    assert not list((site / "zlint" / "rules").glob("zl098_*"))


def test_a_module_with_two_rules_breaks_the_registry_loudly(tmp_path):
    site = _package_copy(tmp_path)
    source = (site / "zlint" / "rules" / "zl006_self_state_mutation.py").read_text()
    (site / "zlint" / "rules" / "zl006_self_state_mutation.py").write_text(
        source + "\n\nclass Second(Rule):\n    code = 'ZL006'\n    name = 'second'\n"
    )
    ran = _run(site, "-c", "import zlint.rules", cwd=tmp_path)
    assert ran.returncode != 0 and "exactly one Rule subclass, found 2" in ran.stderr
