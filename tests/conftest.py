import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The repository root first: `reference_model` (run from a checkout, not installed) must be the
# repository's package, not tests/reference_model, whose folder pytest also puts on sys.path.
if str(REPO) in sys.path:
    sys.path.remove(str(REPO))
sys.path.insert(0, str(REPO))


def write_tree(root: Path, files: dict) -> Path:
    """Write ``{relative path: text}`` under ``root`` and return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path):
    def make(files: dict) -> Path:
        return write_tree(tmp_path, files)

    return make
