"""Baselines: old findings stay quiet through line shifts, new ones are reported, gone ones are stale."""

from __future__ import annotations

import json

from tests.helpers import run_cli

MODEL = """\
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 2)

    def forward(self, x, flag):
        self.a.flag = flag
        return self.b(self.a(x))
"""


def _concise(root, *args):
    out = run_cli(["check", "--no-cache", "--output-format", "concise", *args, "."], root)
    return out, [line for line in out.output.splitlines() if ": ZL" in line and not line.startswith("warning")]


def test_baseline_round_trip(tree):
    root = tree({"model.py": MODEL})
    out = run_cli(["check", "--no-cache", "--write-baseline", "zlint-baseline.json", "."], root)
    assert out.exit_code == 0 and "Wrote 1 finding(s)" in out.output
    document = json.loads((root / "zlint-baseline.json").read_text())
    assert [e["code"] for e in document["entries"]] == ["ZL001"] and document["entries"][0]["path"] == "model.py"
    out, findings = _concise(root, "--baseline", "zlint-baseline.json")
    assert out.exit_code == 0 and findings == []


def test_lines_shifted_above_a_finding_keep_it_baselined(tree):
    root = tree({"model.py": MODEL})
    run_cli(["check", "--no-cache", "--write-baseline", "b.json", "."], root)
    (root / "model.py").write_text("# a new header comment\n\n\n" + MODEL)
    out, findings = _concise(root, "--baseline", "b.json")
    assert findings == [] and out.exit_code == 0


def test_a_new_finding_is_reported(tree):
    root = tree({"model.py": MODEL})
    run_cli(["check", "--no-cache", "--write-baseline", "b.json", "."], root)
    (root / "model.py").write_text(
        MODEL.replace("        self.a.flag = flag\n", "        self.a.flag = flag\n        self.b.mode = 1\n")
    )
    out, findings = _concise(root, "--baseline", "b.json")
    assert out.exit_code == 1 and len(findings) == 1 and "`mode`" in findings[0]


def test_a_removed_finding_is_reported_stale(tree):
    root = tree({"model.py": MODEL})
    run_cli(["check", "--no-cache", "--write-baseline", "b.json", "."], root)
    (root / "model.py").write_text(MODEL.replace("        self.a.flag = flag\n", ""))
    out, findings = _concise(root, "--baseline", "b.json")
    assert findings == [] and out.exit_code == 0
    assert "stale baseline entry: ZL001 in model.py" in out.output


def test_bad_baseline_is_a_clear_error(tree):
    root = tree({"model.py": MODEL, "b.json": "[1, 2"})
    out = run_cli(["check", "--no-cache", "--baseline", "b.json", "."], root)
    assert out.exit_code == 2 and "is not a zlint baseline" in out.output
    out = run_cli(["check", "--no-cache", "--baseline", "missing.json", "."], root)
    assert out.exit_code == 2 and "cannot read baseline" in out.output
