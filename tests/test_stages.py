"""Where a run's time goes: ZLINT_PROFILE_STAGES reports each stage, changes no finding, and a
worker whose files no rule needs starts without loading LibCST."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MODEL = """\
import torch.nn as nn


class Leaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.flag = False

    def forward(self, x):
        return x


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Leaf()

    def forward(self, x):
        self.block.flag = True
        return self.block(x)
"""


def _zlint(root: Path, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "zlint", "check", "--no-cache", "--output-format", "json", *args, "."],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_stage_profile_names_each_stage_and_changes_no_finding(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    for number in range(12):
        (tmp_path / f"plain_{number}.py").write_text(f"VALUE = {number}\n")
    target = tmp_path / "stages.json"
    plain = _zlint(tmp_path, "-j", "2")
    profiled = _zlint(tmp_path, "-j", "2", env=dict(os.environ, ZLINT_PROFILE_STAGES=str(target)))
    assert json.loads(plain.stdout)["findings"] == json.loads(profiled.stdout)["findings"] != []
    document = json.loads(target.read_text())
    stages = document["per_file_stages_summed_over_processes"]
    assert {"reading", "byte pre-filter", "ast", "pre-filter", "LibCST", "analysis"} <= set(stages)
    assert all(seconds >= 0 for seconds in stages.values())
    main = document["main_process"]
    assert {"discovering files", "merging results", "worker start-up (until the first result)"} <= set(main)
    # =1 prints the same object to standard error, after the report.
    printed = _zlint(tmp_path, "-j", "1", env=dict(os.environ, ZLINT_PROFILE_STAGES="1"))
    assert "per_file_stages_summed_over_processes" in json.loads(printed.stderr)


def test_checking_files_no_rule_needs_does_not_load_libcst(tmp_path):
    (tmp_path / "plain.py").write_text("def helper(x):\n    return x\n")
    (tmp_path / "model.py").write_text(MODEL)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from zlint.config import Config\n"
        "from zlint.runner import FileChecker\n"
        "from zlint.rules import ALL_RULES\n"
        "root = Path(sys.argv[1])\n"
        "checker = FileChecker(Config(project_root=root), ALL_RULES, {r.code for r in ALL_RULES} | {'ZL000'})\n"
        "assert checker.check(root / 'plain.py').findings == []\n"
        "print('libcst' in sys.modules)\n"
        "print(len(checker.check(root / 'model.py').findings), 'libcst' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["False", "1 True"]


def test_a_checker_that_starts_its_index_afresh_finds_the_same(monkeypatch):
    """Memory: past ``_INDEX_MODULES`` loaded modules a checker drops its project index; the
    modules that imports lead to are read again, and every finding stays the same."""
    from zlint import runner
    from zlint.config import Config
    from zlint.rules import ALL_RULES

    root = REPO / "tests" / "data" / "zimage_tree"
    codes = {rule.code for rule in ALL_RULES} | {"ZL000"}
    files = sorted(root.rglob("*.py"))

    def findings():
        checker = runner.FileChecker(Config(project_root=root), ALL_RULES, set(codes))
        made = []  # each index the checker used (held, so that none is mistaken for another)
        found = []
        for path in files + files:  # twice: the second round finds the index full
            found.extend((f.path, f.start.line, f.code, f.message) for f in checker.check(path).findings)
            if checker._index is not None and not any(checker._index is index for index in made):
                made.append(checker._index)
        return found, len(made)

    kept, indexes = findings()
    monkeypatch.setattr(runner, "_INDEX_MODULES", 0)
    fresh, fresh_indexes = findings()
    assert fresh == kept and kept
    assert indexes == 1 and fresh_indexes > 1
