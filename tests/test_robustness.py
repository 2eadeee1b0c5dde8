"""Any input, any file: findings or ZL000, never a traceback; rule crashes stay contained."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zlint.config import Config
from zlint.runner import check_paths
from zlint.rules import ALL_RULES, RULES_BY_CODE
from tests.helpers import chdir

REPO = Path(__file__).resolve().parents[1]

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
    return subprocess.run([sys.executable, "-m", "zlint", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _check(root: Path, jobs: int = 1, rules=None, check_syntax: bool = False):
    config = Config(project_root=root, select=["ALL"], check_syntax=check_syntax)
    with chdir(root):
        return check_paths([Path(".")], config, jobs=jobs, rules=rules)


@pytest.mark.parametrize(
    "name,data",
    [
        ("bom.py", b"\xef\xbb\xbf" + BAD.encode()),
        ("latin1.py", b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + BAD.encode()),
        ("crlf.py", BAD.replace("\n", "\r\n").encode()),
        ("mixed_endings.py", BAD.replace("\n", "\r\n", 5).encode()),
        ("tabs.py", BAD.replace("    ", "\t").encode()),
        ("formfeed.py", BAD.replace("\n\n\nclass", "\n\x0c\n\nclass").encode()),
    ],
)
def test_encodings_and_whitespace_are_read_like_python_does(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    result = _check(tmp_path)
    assert not result.internal_errors
    assert [f.code for f in result.findings] == ["ZL001"]
    line = next(i for i, text in enumerate(data.decode("latin-1").splitlines(), 1) if "self.block.flag" in text)
    assert result.findings[0].start.line == line


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("empty.py", b"", None),
        ("not_python.py", b"This is a README, not code.\n", "syntax error"),
        ("binary.py", bytes(range(256)) * 4, "cannot"),
        ("bad_cookie.py", b"# -*- coding: no-such-codec -*-\nx = 1\n", "encoding"),
        ("undecodable.py", b"x = '\xff\xfe'\n", "encoding"),
        ("deep.py", b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", None),
        ("deep_def.py", b"def forward(self):\n    return " + b"-" * 5000 + b"1\n", None),
    ],
)
def test_odd_files_give_findings_or_zl000_and_never_crash(tmp_path, name, data, message):
    # check-syntax: ZL000 on every file; without it only on the files a rule needs parsed.
    (tmp_path / name).write_bytes(data)
    result = _check(tmp_path, check_syntax=True)
    assert not result.internal_errors
    codes = [f.code for f in result.findings]
    if message is None:
        assert set(codes) <= {"ZL000"}
    else:
        assert codes == ["ZL000"] and message in result.findings[0].message
    plain = _check(tmp_path)
    assert not plain.internal_errors
    if b"def forward" not in data and b"coding" not in data:  # no rule needs it: never parsed
        assert plain.findings == []
    if b"no-such-codec" in data:  # an encoding zlint cannot read: kept, and said so
        assert [f.code for f in plain.findings] == ["ZL000"]


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("not_python.py", b"This is a README, not code.\ndef forward(self):\n", "syntax error"),
        ("binary.py", b"def forward(self):\n" + bytes(range(256)) * 4, "cannot"),
        ("bad_cookie.py", b"# -*- coding: no-such-codec -*-\ndef forward(self): pass\n", "encoding"),
        ("undecodable.py", b"def forward(self):\n    x = '\xff\xfe'\n", "cannot decode"),
    ],
)
def test_odd_files_a_rule_needs_give_zl000_without_check_syntax(tmp_path, name, data, message):
    (tmp_path / name).write_bytes(data)
    result = _check(tmp_path)
    assert not result.internal_errors
    assert [f.code for f in result.findings] == ["ZL000"] and message in result.findings[0].message


@pytest.mark.slow
def test_ten_megabyte_file(tmp_path):
    body = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n" for i in range(300_000))
    (tmp_path / "huge.py").write_text(body + BAD)
    assert (tmp_path / "huge.py").stat().st_size > 10_000_000
    result = _check(tmp_path)
    assert [f.code for f in result.findings] == ["ZL001"] and not result.internal_errors


def test_symlinks_loops_and_links_outside_the_root(tmp_path):
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "bad.py").write_text(BAD)
    outside = tmp_path / "outside"
    outside.mkdir()
    fixable = BAD.replace("nn.Linear(2, 2)", "Leaf()") + (
        "\n\nclass Leaf(nn.Module):\n    def forward(self, x):\n        return x if self.flag else -x\n"
    )
    (outside / "elsewhere.py").write_text(fixable)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "out_dir").symlink_to(outside, target_is_directory=True)
    (root / "link.py").symlink_to(outside / "elsewhere.py")
    (root / "dangling.py").symlink_to(tmp_path / "missing.py")
    before = (outside / "elsewhere.py").read_bytes()
    proc = zlint("check", "--no-cache", "--output-format", "concise", ".", cwd=root)
    assert "Traceback" not in proc.stderr
    assert "pkg/bad.py:10:9: ZL001" in proc.stdout
    assert "loop/" not in proc.stdout and "out_dir/" not in proc.stdout  # linked folders are not walked
    assert (
        "link.py:10:9: ZL001 [*]"
        in zlint("check", "--no-cache", "--output-format", "concise", "link.py", cwd=root).stdout
    )
    proc = zlint("fix", "--no-cache", ".", cwd=root)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2 and "outside" in proc.stderr and "no file was changed" in proc.stderr
    assert (outside / "elsewhere.py").read_bytes() == before, "a link out of the tree was written through"
    assert (root / "link.py").is_symlink()


def test_rule_crash_is_an_internal_error_for_that_file_only(tmp_path):

    for i in range(6):
        (tmp_path / f"bad_{i}.py").write_text(BAD)
    (tmp_path / "boom.py").write_text(BAD.replace("class Model", "class Boom"))
    result = _check(tmp_path, jobs=2, rules=list(ALL_RULES) + [CrashingRule])
    assert [(e.path, e.rule) for e in result.internal_errors] == [("boom.py", "ZL999")]
    assert "RuntimeError: rule bug" in result.internal_errors[0].message
    assert sorted({f.path for f in result.findings if f.code == "ZL001"}) == [f"bad_{i}.py" for i in range(6)] + [
        "boom.py"
    ]


class CrashingRule(RULES_BY_CODE["ZL001"]):
    """A rule with a bug: it raises on one file."""

    code = "ZL999"
    name = "crashing-rule"
    invalid = ()
    valid = ()

    def check(self, ctx):
        if any(name == "Boom" for name in ctx.summary.classes):
            raise RuntimeError("rule bug")
        return iter(())


def test_internal_error_exit_code_and_message(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text(BAD)
    script = (
        "import sys\n"
        "import zlint.rules.zl001_submodule_state_mutation as m\n"
        "def boom(self, ctx):\n"
        "    raise ValueError('broken rule')\n"
        "m.SubmoduleStateMutationInForward.check = boom\n"
        "from zlint.cli import main\n"
        "sys.argv = ['zlint', 'check', '--no-cache', '.']\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "internal error in ZL001 while checking a.py: ValueError: broken rule" in proc.stderr
    assert "Traceback" not in proc.stderr


@settings(max_examples=500, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=300))
def test_any_text_gives_findings_or_zl000(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("t")
    (root / "t.py").write_text(text, encoding="utf-8", errors="surrogatepass")
    result = _check(root)
    assert not result.internal_errors
    assert {f.code for f in result.findings} <= {"ZL000"} | {rule.code for rule in ALL_RULES}


def _hypothesmith_programs():
    import hypothesmith

    return hypothesmith.from_grammar()


@pytest.mark.slow
@settings(max_examples=500, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(source=_hypothesmith_programs())
def test_any_valid_python_checks_without_error(tmp_path_factory, source):
    root = tmp_path_factory.mktemp("g")
    wrapped = "import torch.nn as nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n\n" + source
    (root / "g.py").write_text(wrapped, encoding="utf-8")
    result = _check(root)
    assert not result.internal_errors
