"""Release hygiene: the sdist carries the data its tests read, the LICENSE, and metadata."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _tracked_or_present(folder: Path):
    """The files under ``folder`` (relative to the repository), skipping caches."""
    for path in folder.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and ".zlint_cache" not in path.parts:
            yield path.relative_to(REPO).as_posix()


@pytest.mark.slow
def test_the_sdist_contains_the_test_data_license_and_metadata(tmp_path):
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        "__pycache__", ".venv", "*.egg-info", ".zlint_cache", "corpus", ".git", "build", ".mypy_cache", ".ruff_cache"
    )
    shutil.copytree(REPO, source, ignore=ignore)
    out = tmp_path / "dist"
    proc = subprocess.run(
        [sys.executable, "-c", f"from setuptools import build_meta; print(build_meta.build_sdist({str(out)!r}))"],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    name = proc.stdout.strip().splitlines()[-1]
    with tarfile.open(out / name) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
        pkg_info = archive.extractfile(f"{name[: -len('.tar.gz')]}/PKG-INFO").read().decode()
    wanted = set(_tracked_or_present(REPO / "tests" / "data")) | {
        "LICENSE",
        "README.md",
        ".pre-commit-hooks.yaml",
        "docs/rules/ZL001.md",
        "tests/conftest.py",
    }
    wanted |= set(_tracked_or_present(REPO / "reference_model"))
    missing = sorted(wanted - members)
    assert not missing, missing[:20]
    assert not any(m.startswith("bench/corpus/") for m in members)
    assert "License :: OSI Approved :: Apache Software License" in pkg_info
    assert "Project-URL: Repository," in pkg_info
    assert (REPO / "LICENSE").read_text().lstrip().startswith("Apache License")
