"""Listing and explaining rules needs no LibCST: ``zlint rules`` and ``zlint explain`` answer
from the rules' own metadata and documentation, so they stay quick and work where only the
command-line part of zlint loads.

Each command runs in a fresh interpreter (this test process has long since imported LibCST),
and the child reports which LibCST modules it had loaded when the command finished.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
from zlint.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted(m for m in sys.modules if m == "libcst" or m.startswith("libcst."))
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "libcst": loaded}) + "\\n")
"""


def _probe(*args: str):
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=REPO, timeout=120)
    line = [text for text in proc.stderr.splitlines() if text.startswith("PROBE ")]
    assert line, proc.stderr
    return proc.stdout, json.loads(line[-1][len("PROBE ") :])


@pytest.mark.parametrize(
    "args", [("rules",), ("explain", "ZL001"), ("explain", "ZL007"), ("explain", "submodule-state-mutation-in-forward")]
)
def test_listing_and_explaining_rules_does_not_import_libcst(args):
    out, report = _probe(*args)
    assert report["code"] == 0, (args, out)
    assert report["libcst"] == [], f"zlint {' '.join(args)} imported {report['libcst'][:5]}"
    assert "ZL00" in out  # the command did its work: it printed rule codes or a rule's page


def test_the_probe_sees_libcst_when_a_command_needs_it(tmp_path):
    """The same probe on `check`, which parses, does see LibCST: the check above is not vacuous."""
    model = tmp_path / "model.py"
    model.write_text(
        "import torch.nn as nn\n\nclass M(nn.Module):\n    def forward(self, x):\n"
        "        self.block.attn.flag = True\n        return self.block(x)\n"
    )
    _, report = _probe("check", "--no-cache", str(model))
    assert "libcst" in report["libcst"]
