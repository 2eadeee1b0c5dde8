"""Discovery's string fast path for "where is this file below the root" agrees with pathlib's."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from zlint.discovery import _relative, _relative_absolute

PARTS = st.lists(st.sampled_from(["a", "b", "ab", "a.b", ".git", "x y", "é"]), max_size=4)


@settings(max_examples=300, deadline=None)
@given(root=PARTS, path=PARTS)
def test_string_relative_matches_pathlib(root, path):
    root_text = os.sep + os.sep.join(root) if root else os.sep
    path_text = os.path.abspath(os.sep + os.sep.join(path))
    assert _relative_absolute(path_text, os.fspath(Path(root_text))) == _relative(Path(path_text), Path(root_text))
