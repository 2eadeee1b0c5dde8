"""The runtime guard: it sees what static analysis sees, and what it cannot."""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from zlint.guard import ForwardGuard, GuardViolation, forward_guard
from tests.helpers import check_tree, run_cli

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"

pytest_plugins = ["pytester"]


@contextmanager
def importable(root: Path):
    """Let the test import the model code under ``root`` (the guard needs it running)."""
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))


def _forward(model):
    from reference_model.runner import RunSpec, inputs

    latent, caption = inputs(RunSpec())
    with torch.no_grad():
        return model(latent, torch.ones(1), caption)


def test_guard_reports_exactly_the_static_findings_on_the_legacy_model(tmp_path):
    from reference_model.runner import RunSpec, build_model

    static = check_tree(REPO / "reference_model" / "legacy")
    static_places = {
        (str((REPO / "reference_model" / "legacy" / f.path).resolve()), f.start.line) for f in static.findings
    }
    model = build_model(RunSpec(variant="legacy"))
    with ForwardGuard() as guard:
        _forward(model)
    assert {(r.filename, r.line) for r in guard.records} == static_places
    record = guard.records[0]
    assert (record.code, record.attribute, record.module_class, record.running) == (
        "ZL001",
        "skip_sequence_parallel",
        "USPAttention",
        "ZImageModel",
    )
    assert record.module_path == "layers.0.attention.attn"


def test_guard_reports_nothing_on_the_fixed_models(tmp_path):
    from reference_model.runner import RunSpec, build_model

    root = tmp_path / "fixed"
    shutil.copytree(REPO / "reference_model" / "legacy", root / "guard_fixed_model")
    assert run_cli(["fix", "--no-cache", "."], root).exit_code == 0
    with importable(root):
        zlint_fixed = build_model(RunSpec(model_module="guard_fixed_model.model"))
    for model in (build_model(RunSpec()), zlint_fixed):
        with ForwardGuard() as guard:
            _forward(model)
        assert guard.records == []


class Holder(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 2)
        self.inner.flag = False  # __init__: not forward time
        self.register_buffer("steps", torch.zeros(()))
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x):
        self.steps.add_(1)  # a buffer updated in place
        self.last = x.shape  # its own state: not another module's
        return self.norm(self.inner(x))


def test_no_false_reports_on_ordinary_module_use():
    model = Holder()
    with ForwardGuard() as guard:
        model.train()
        model(torch.randn(4, 2))
        model.eval()
        model.to(torch.float64)
        model.load_state_dict(model.state_dict())
        handle = model.register_forward_hook(lambda module, args, out: None)
        with torch.no_grad():
            model(torch.randn(4, 2, dtype=torch.float64))
        handle.remove()
    assert guard.records == []


class Meddler(nn.Module):
    def __init__(self):
        super().__init__()
        self.child = nn.Linear(2, 2)

    def forward(self, x):
        setattr(self.child, "tag", "seen")  # noqa: B010 - the setattr form is what the guard must see
        return self.child(x)


def test_setattr_is_zl002_and_modes():
    with ForwardGuard() as guard:
        Meddler()(torch.randn(1, 2))
    assert [(r.code, r.attribute, r.module_path) for r in guard.records] == [("ZL002", "tag", "child")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ForwardGuard("warn"):
            Meddler()(torch.randn(1, 2))
    assert any("ZL002" in str(w.message) for w in caught)
    with pytest.raises(GuardViolation, match="`Meddler.forward` set `tag` on `child`"):
        with ForwardGuard("raise"):
            Meddler()(torch.randn(1, 2))

    @forward_guard("raise")
    def run():
        Meddler()(torch.randn(1, 2))

    with pytest.raises(GuardViolation):
        run()
    assert nn.Module.__setattr__.__name__ == "__setattr__", "the guard must restore nn.Module.__setattr__"


def test_registry_model_is_caught_at_run_time_and_merged(tmp_path):
    root = tmp_path / "registry"
    shutil.copytree(DATA / "registry_model", root)
    assert check_tree(root).findings == [], "the registry hides the block class from static analysis"
    with importable(root):
        from regpkg.model import RegistryModel
    with ForwardGuard() as guard:
        RegistryModel()(torch.randn(1, 4), open_gates=False)
    report = tmp_path / "guard.json"
    guard.write_report(report)
    out = run_cli(["check", "--no-cache", "--output-format", "json", "--runtime-report", str(report), "."], root)
    document = json.loads(out.output)
    [finding] = document["findings"]
    assert finding["filename"] == "regpkg/model.py" and finding["location"]["row"] == 13
    assert finding["runtime_only"] and finding["confirmed_at_runtime"]
    assert "layers.0" in finding["message"] and "seen only at run time" in finding["message"]


HELPER_MODEL = """\
import torch.nn as nn


def set_gate(block, value):
    block.inner.gate = value


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = False

    def forward(self, x):
        return x if self.gate else -x


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x):
        return self.inner(x)


class HelperModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x, gate):
        set_gate(self.block, gate)
        return self.block(x)
"""


def test_write_in_a_module_level_helper_is_seen_only_at_run_time(tmp_path):
    (tmp_path / "helper_model.py").write_text(HELPER_MODEL)
    assert check_tree(tmp_path).findings == [], "static analysis does not follow free functions"
    with importable(tmp_path):
        from helper_model import HelperModel
    with ForwardGuard() as guard:
        HelperModel()(torch.randn(1, 2), gate=True)
    [record] = guard.records
    assert (record.code, record.attribute, record.module_path, record.line) == ("ZL001", "gate", "block.inner", 5)
    assert record.filename == str((tmp_path / "helper_model.py").resolve())


def test_runtime_report_confirms_static_findings(tmp_path):
    from reference_model.runner import RunSpec, build_model

    with ForwardGuard() as guard:
        _forward(build_model(RunSpec(variant="legacy")))
    report = tmp_path / "guard.json"
    guard.write_report(report)
    out = run_cli(
        ["check", "--no-cache", "--output-format", "json", "--runtime-report", str(report), "reference_model/legacy"],
        REPO,
    )
    [finding] = json.loads(out.output)["findings"]
    assert finding["confirmed_at_runtime"] and not finding["runtime_only"]
    assert finding["message"].endswith("(confirmed at run time)")


def test_bad_runtime_report_is_a_clear_error(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "report.json").write_text("{not json")
    out = run_cli(["check", "--runtime-report", "report.json", "."], tmp_path)
    assert out.exit_code == 2 and "is not a zlint runtime report" in out.output


def test_pytest_plugin_fails_guarded_tests(pytester):
    pytester.makepyfile(
        test_models="""
        import torch, torch.nn as nn

        class Parent(nn.Module):
            def __init__(self):
                super().__init__()
                self.child = nn.Linear(2, 2)

            def forward(self, x, flag):
                self.child.flag = flag
                return self.child(x)

        def test_meddles():
            Parent()(torch.randn(1, 2), True)

        def test_clean():
            nn.Linear(2, 2)(torch.randn(1, 2))
        """
    )
    result = pytester.runpytest_subprocess("--zlint-guard", "--zlint-guard-report", "guard.json")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*zlint guard*", "*ZL001 `Parent.forward` set `flag` on `child`*"])
    records = json.loads((pytester.path / "guard.json").read_text())["records"]
    assert [r["attribute"] for r in records] == ["flag"]
    plain = pytester.runpytest_subprocess()
    plain.assert_outcomes(passed=2)
