"""zlint installed beside other packages named `rules` and `lint`, and run on a tree that has
its own `lint/` and `rules/` packages: nothing clashes and nothing of the checked tree runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

BAD = textwrap.dedent("""\
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = nn.Linear(2, 2)

        def forward(self, x):
            self.block.flag = True
            return self.block(x)
    """)


def _run(args, cwd, env=None, timeout=300):
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


def _tiny_project(folder: Path, name: str) -> Path:
    """A distribution whose import package is ``name``; importing it records nothing, it only
    answers ``OWNER``."""
    (folder / name).mkdir(parents=True)
    (folder / name / "__init__.py").write_text(f"OWNER = 'the other {name}'\n")
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=64"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "other-{name}"
        version = "1.0"

        [tool.setuptools]
        packages = ["{name}"]
        """)
    )
    return folder


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """zlint (built from this checkout) and packages named `rules` and `lint`, installed into
    one folder with pip, in both orders of installation."""
    base = tmp_path_factory.mktemp("install")
    source = base / "zlint-src"
    source.mkdir()
    for name in ("lint", "rules", "pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif (REPO / name).exists():
            shutil.copy2(REPO / name, source / name)
    folder = base / "site"
    projects = [_tiny_project(base / "other-rules", "rules"), source, _tiny_project(base / "other-lint", "lint")]
    for project in projects:
        proc = _run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--target",
                str(folder),
                "--upgrade",
                str(project),
            ],
            base,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


def test_both_packages_work_beside_zlint(target, tmp_path):
    code = textwrap.dedent(f"""\
        import rules, lint, zlint, zlint.rules
        assert rules.OWNER == "the other rules", rules.__file__
        assert lint.OWNER == "the other lint", lint.__file__
        assert zlint.__file__.startswith({str(target)!r}), zlint.__file__
        assert len(zlint.rules.ALL_RULES) >= 6
        print("ok")
        """)
    proc = _run([sys.executable, "-c", code], tmp_path, {"PYTHONPATH": str(target)})
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr
    assert not (target / "reference_model").exists()  # the torch demo is not installed
    top = sorted(p.name for p in target.iterdir() if not p.name.endswith((".dist-info", ".egg-info")))
    assert top == ["bin", "lint", "rules", "zlint"] or top == ["lint", "rules", "zlint"], top


def test_python_m_zlint_and_pytest_start(target, tmp_path):
    (tmp_path / "model.py").write_text(BAD)
    (tmp_path / "test_one.py").write_text("def test_one():\n    assert True\n")
    env = {"PYTHONPATH": str(target)}
    check = _run([sys.executable, "-m", "zlint", "check", "--no-cache", "model.py"], tmp_path, env)
    assert check.returncode == 1 and "ZL001" in check.stdout, check.stderr
    tests = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"], tmp_path, env)
    assert tests.returncode == 0 and "1 passed" in tests.stdout, tests.stdout + tests.stderr
    plugin = _run([sys.executable, "-m", "pytest", "--help"], tmp_path, env)
    assert "--zlint-guard" in plugin.stdout  # the pytest11 plugin was loaded


def test_the_pytest_plugin_is_cheap(target, tmp_path):
    code = (
        "import sys, zlint.pytest_plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'torch') or m.startswith('zlint.rules')"
        " or m in ('zlint.runner', 'zlint.index'))\n"
        "assert not heavy, heavy\n"
    )
    proc = _run([sys.executable, "-c", code], tmp_path, {"PYTHONPATH": str(target)})
    assert proc.returncode == 0, proc.stderr


def test_a_checked_tree_with_its_own_lint_and_rules_is_never_imported(tmp_path):
    """With the checked tree on sys.path (PYTHONPATH=., as in a project's own shell), zlint
    never imports the tree's `lint` or `rules` packages (their import would leave a marker)."""
    marker = tmp_path / "imported.txt"
    for name in ("lint", "rules", "zlint_rules", "model"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(
            f"import pathlib\npathlib.Path({str(marker)!r}).open('a').write({name!r} + '\\n')\n"
        )
    (tmp_path / "net.py").write_text("import rules\nimport lint\n" + BAD)
    env = {"PYTHONPATH": "."}
    for args in (
        ["check", "--no-cache"],
        ["check", "--output-format", "sarif"],
        ["check", "-j", "2", "--no-cache"],
        ["fix", "--diff"],
        ["rules"],
        ["explain", "ZL001"],
        ["--version"],
    ):
        proc = _run([sys.executable, "-m", "zlint", *args], tmp_path, env)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert not marker.exists(), (args, marker.read_text())
    pytest_run = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co", "net.py"], tmp_path, env)
    assert "zlint" not in pytest_run.stderr
