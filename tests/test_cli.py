"""The command line: exit codes, errors without tracebacks, config, selection, suppression."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import run_cli

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "docs" / "json-output.schema.json").read_text())

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


def zlint(*args, cwd):
    """Run the installed console script in a subprocess, as users do."""
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "zlint", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_clean_tree_exits_zero(tree):
    root = tree(
        {"ok.py": "import torch.nn as nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n"}
    )
    out = run_cli(["check"], root)
    assert out.exit_code == 0
    assert "All checks passed!" in out.output


def test_findings_exit_one_and_exit_zero_flag(tree):
    root = tree({"bad.py": BAD})
    assert run_cli(["check"], root).exit_code == 1
    assert run_cli(["check", "--exit-zero"], root).exit_code == 0


def test_parse_error_is_zl000_and_other_files_still_checked(tree):
    root = tree(
        {
            "broken.py": "def f(:\n    pass\n",
            "bad.py": BAD,
            "broken_model.py": "class M:\n    def forward(self:\n        pass\n",
        }
    )
    proc = zlint("check", "--output-format", "concise", "--check-syntax", cwd=root)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "broken.py:1:7: ZL000 syntax error: invalid syntax" in proc.stdout
    assert "broken_model.py:2:" in proc.stdout
    assert "bad.py:10:9: ZL001" in proc.stdout
    # Without --check-syntax, ZL000 covers the files a selected rule needs parsed (those with a
    # forward method): broken.py has none, so it is never parsed.
    proc = zlint("check", "--output-format", "concise", cwd=root)
    assert proc.returncode == 1
    assert "broken.py" not in proc.stdout.replace("broken_model.py", "")
    assert "broken_model.py:2:" in proc.stdout and "bad.py:10:9: ZL001" in proc.stdout
    # The setting does what the option does, and ZL000 alone parses every file.
    (root / "pyproject.toml").write_text("[tool.zlint]\ncheck-syntax = true\n")
    assert "broken.py:1:7: ZL000" in zlint("check", "--output-format", "concise", cwd=root).stdout
    (root / "pyproject.toml").unlink()
    assert "broken.py:1:7: ZL000" in zlint("check", "--output-format", "concise", "--select", "ZL000", cwd=root).stdout


def test_unreadable_file_is_reported(tree):
    root = tree({"bad.py": BAD, "secret.py": "x = 1\n"})
    secret = root / "secret.py"
    secret.chmod(0)
    try:
        if os.access(secret, os.R_OK):
            # Running as root: permissions do not stop reads, so make the path a dangling link instead.
            secret.chmod(0o644)
            secret.unlink()
            secret.symlink_to(root / "missing-target.py")
        proc = zlint("check", "--output-format", "concise", "secret.py", "bad.py", cwd=root)
    finally:
        if secret.exists():
            secret.chmod(0o644)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode in (1, 2)
    assert "secret.py" in proc.stdout + proc.stderr


def test_directory_without_python_files_warns_and_exits_zero(tree):
    root = tree({"notes.txt": "nothing here\n", "sub/readme.md": "# hi\n"})
    proc = zlint("check", ".", cwd=root)
    assert proc.returncode == 0
    assert "no Python files found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_path_is_a_usage_error(tree):
    root = tree({"a.py": "x = 1\n"})
    proc = zlint("check", "does-not-exist", cwd=root)
    assert proc.returncode == 2
    assert "does-not-exist" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "pyproject,needle",
    [
        ("[tool.zlint]\nselekt = ['ZL001']\n", "unknown key(s) in [tool.zlint]: selekt"),
        ("[tool.zlint]\nselect = 'ZL001'\n", "`select` must be a list of strings"),
        ("[tool.zlint]\nselect = ['ZL999']\n", "unknown rule selector `ZL999`"),
        ("[tool.zlint\n", "cannot be read as TOML"),
        ("[tool.zlint.fix]\nparameter-template = 'no_placeholder'\n", "must be a string containing {attr}"),
    ],
)
def test_bad_config_is_a_clear_error_with_exit_two(tree, pyproject, needle):
    root = tree({"pyproject.toml": pyproject, "bad.py": BAD})
    proc = zlint("check", cwd=root)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_rule_selector_on_the_command_line(tree):
    root = tree({"bad.py": BAD})
    proc = zlint("check", "--select", "ZL9", cwd=root)
    assert proc.returncode == 2 and "unknown rule selector `ZL9`" in proc.stderr


def test_select_and_ignore(tree):
    root = tree({"bad.py": BAD})
    assert run_cli(["check", "--ignore", "ZL001"], root).exit_code == 0
    assert run_cli(["check", "--select", "ZL000"], root).exit_code == 0
    assert run_cli(["check", "--select", "ZL"], root).exit_code == 1
    assert run_cli(["check", "--select", "ALL", "--ignore", "ZL001"], root).exit_code == 0


def test_config_from_pyproject_found_by_walking_up(tree):
    root = tree(
        {
            "pyproject.toml": "[tool.zlint]\nignore = ['ZL001']\n",
            "pkg/sub/bad.py": BAD,
        }
    )
    assert run_cli(["check", "."], root / "pkg" / "sub").exit_code == 0


def test_per_file_ignores_and_exclude(tree):
    root = tree(
        {
            "pyproject.toml": (
                "[tool.zlint]\nextend-exclude = ['generated/']\n"
                "[tool.zlint.per-file-ignores]\n'legacy/*.py' = ['ZL001']\n"
            ),
            "legacy/old.py": BAD,
            "generated/gen.py": BAD,
            "new/current.py": BAD,
        }
    )
    out = run_cli(["check", "--output-format", "concise"], root)
    assert out.exit_code == 1
    assert "new/current.py:10:9: ZL001" in out.output
    assert "legacy/old.py" not in out.output and "generated/gen.py" not in out.output


def test_gitignore_is_respected(tree):
    root = tree(
        {".gitignore": "ignored_dir/\nskip_me.py\n", "ignored_dir/a.py": BAD, "skip_me.py": BAD, "kept.py": BAD}
    )
    out = run_cli(["check", "--output-format", "concise"], root)
    assert "kept.py:10:9" in out.output
    assert "ignored_dir" not in out.output and "skip_me.py" not in out.output


def test_default_excludes_skip_virtualenvs(tree):
    root = tree({".venv/lib/site.py": BAD, "kept.py": BAD})
    out = run_cli(["check", "--output-format", "concise"], root)
    assert ".venv" not in out.output and "kept.py" in out.output


def test_inline_suppressions(tree):
    root = tree(
        {
            "bad.py": BAD.replace("self.block.flag = True", "self.block.flag = True  # zlint: ignore[ZL001]"),
            "noqa.py": BAD.replace("self.block.flag = True", "self.block.flag = True  # noqa: ZL001"),
            "bare.py": BAD.replace("self.block.flag = True", "self.block.flag = True  # zlint: ignore"),
            "other.py": BAD.replace("self.block.flag = True", "self.block.flag = True  # zlint: ignore[ZL002]"),
            "string.py": BAD.replace("self.block.flag = True", "self.block.flag = '# zlint: ignore'"),
        }
    )
    out = run_cli(["check", "--output-format", "concise"], root)
    flagged = {line.split(":")[0] for line in out.output.splitlines() if ": ZL001" in line}
    assert flagged == {"other.py", "string.py"}


def test_file_level_suppressions(tree):
    root = tree(
        {
            "whole.py": "# zlint: ignore-file\n" + BAD,
            "listed.py": BAD + "\n# zlint: ignore-file[ZL002, ZL001]\n",
            "other_rule.py": "# zlint: ignore-file[ZL002]\n" + BAD,
            "trailing.py": BAD.replace("import torch.nn as nn", "import torch.nn as nn  # zlint: ignore-file"),
            "in_string.py": 'NOTE = """\n# zlint: ignore-file\n"""\n' + BAD,
        }
    )
    out = run_cli(["check", "--output-format", "concise"], root)
    flagged = {line.split(":")[0] for line in out.output.splitlines() if ": ZL001" in line}
    # Only a comment on a line of its own silences the file; a trailing one or a string does not.
    assert flagged == {"other_rule.py", "trailing.py", "in_string.py"}
    sarif = json.loads(run_cli(["check", "--output-format", "sarif", "--show-suppressed"], root).output)
    suppressed = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
        if r.get("suppressions")
    }
    assert suppressed == {"whole.py", "listed.py"}


def test_json_output_matches_documented_schema(tree):
    root = tree({"bad.py": BAD, "broken.py": "class (:\n    def forward(self):\n        pass\n"})
    out = run_cli(["check", "--output-format", "json"], root)
    document = json.loads(out.output)
    jsonschema.validate(document, SCHEMA)
    codes = sorted(f["code"] for f in document["findings"])
    assert codes == ["ZL000", "ZL001"]
    finding = [f for f in document["findings"] if f["code"] == "ZL001"][0]
    assert finding["location"] == {"row": 10, "column": 9}
    assert finding["chain"][0]["expression"] == "self.block"
    assert finding["chain"][0]["class"] == "Linear"


def test_output_file(tree):
    root = tree({"bad.py": BAD})
    out = run_cli(["check", "--output-format", "json", "--output-file", "report.json"], root)
    assert out.exit_code == 1
    assert json.loads((root / "report.json").read_text())["findings"][0]["code"] == "ZL001"


def test_explain_prints_rule_docs():
    out = run_cli(["explain", "ZL001"], REPO)
    assert out.exit_code == 0
    assert "submodule-state-mutation-in-forward (ZL001)" in out.output
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert heading in out.output
    assert run_cli(["explain", "submodule-state-mutation-in-forward"], REPO).exit_code == 0


def test_explain_and_rules_cover_the_parse_error_code():
    for name in ("ZL000", "parse-error"):
        out = run_cli(["explain", name], REPO)
        assert out.exit_code == 0 and "parse-error (ZL000)" in out.output and "## What it does" in out.output
    rows = run_cli(["rules"], REPO).output.splitlines()
    assert rows[1].split()[:2] == ["ZL000", "parse-error"]


def test_explain_unknown_rule_exits_two():
    proc = zlint("explain", "ZL999", cwd=REPO)
    assert proc.returncode == 2 and "unknown rule `ZL999`" in proc.stderr


def test_rules_table_lists_ids_names_and_fixability():
    out = run_cli(["rules"], REPO)
    assert out.exit_code == 0
    row = [line for line in out.output.splitlines() if line.startswith("ZL001")][0]
    assert "submodule-state-mutation-in-forward" in row and "yes" in row


def test_checked_code_is_never_imported(tree):
    marker = "MARKER_PATH"
    payload = (
        "import pathlib\n"
        f"pathlib.Path({marker!r}).write_text('imported')\n"
        "import torch.nn as nn\n"
        "class M(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.b = nn.Linear(1, 1)\n"
        "    def forward(self, x):\n"
        "        self.b.flag = 1\n"
        "        return x\n"
    )
    root = tree(
        {"pkg/__init__.py": payload, "pkg/mod.py": "from . import M\n" + payload, "pyproject.toml": "[tool.zlint]\n"}
    )
    for fmt in ("text", "concise", "json"):
        proc = zlint("check", "--output-format", fmt, cwd=root)
        assert proc.returncode == 1
    for args in (("fix", "--diff"), ("fix", "--unsafe-fixes"), ("rules",)):
        zlint(*args, cwd=root)
    assert not (root / marker).exists()


def test_linter_does_not_import_torch():
    code = "import sys, zlint.cli, zlint.rules; import zlint.runner; assert 'torch' not in sys.modules; print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr
