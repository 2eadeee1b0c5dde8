"""The fuzz harness (bench/fuzz.py) with a fixed seed, and every case it ever failed on."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import fuzz_harness

REPO = Path(__file__).resolve().parents[1]
REGRESSIONS = REPO / "tests" / "data" / "fuzz_regressions"


def test_a_hundred_fixed_cases_without_a_failure():
    fuzz = fuzz_harness()
    lines = []
    done, failures = fuzz.run(
        seed=21, count=100, minutes=None, generated=False, keep_failures=False, report=lines.append, batch_size=25
    )
    assert done == 100
    assert failures == [], "\n".join(lines)


def test_the_harness_reports_a_failure(monkeypatch, tmp_path):
    """A harness that cannot fail proves nothing: a rule that crashes on one mutated file is found."""
    import zlint.rules.zl001_submodule_state_mutation as zl001

    fuzz = fuzz_harness()
    real = zl001.SubmoduleStateMutationInForward.check

    def crashing(self, ctx):
        if b"broken" in ctx.parsed.source.data:
            raise RuntimeError("planted bug")
        return real(self, ctx)

    monkeypatch.setattr(zl001.SubmoduleStateMutationInForward, "check", crashing)
    bad = (REPO / "tests" / "test_robustness.py").read_text().split('BAD = """\\\n', 1)[1].split('"""', 1)[0]
    case = fuzz.Case("case_1.py", "planted", (bad + "# broken\n").encode())
    found = fuzz.check_batch([case, fuzz.Case("case_2.py", "planted", bad.encode())], tmp_path / "w")
    assert [(f.case.name, "planted bug" in f.problem) for f in found][:1] == [("case_1.py", True)]


def test_every_case_the_fuzzer_ever_failed_on(tmp_path):
    fuzz = fuzz_harness()
    cases = [
        fuzz.Case(f"case_{i}.py", path.name, path.read_bytes())
        for i, path in enumerate(sorted(REGRESSIONS.glob("*.py.txt")))
    ]
    failures = fuzz.check_batch(cases, tmp_path / "w") if cases else []
    assert [(f.case.kind, f.problem) for f in failures] == []
