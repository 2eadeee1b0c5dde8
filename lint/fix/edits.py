"""A fix as data: for each file, the hash of the text it was planned against and the spans of
that text it replaces. Serialisable (JSON), so what consumes a fix (SARIF's ``fixes``, the SARIF
fixes cache, ``--diff``) needs neither the planner nor a live index, and can tell when a file
changed since the fix was planned.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class TextEdit:
    """Replace ``old[start:end]`` (offsets in characters, code points) with ``text``."""

    start: int
    end: int
    text: str


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class FileFix:
    """The edits of one file, against the text whose hash is ``old_sha256``."""

    path: str
    old_sha256: str
    edits: Tuple[TextEdit, ...]

    @classmethod
    def between(cls, path: str, old: str, new: str) -> "FileFix":
        return cls(path, sha256_text(old), tuple(text_edits(old, new)))

    def apply(self, old: str) -> Optional[str]:
        """The fixed text, or None when ``old`` is not the text the fix was planned against."""
        if sha256_text(old) != self.old_sha256:
            return None
        return apply_text_edits(old, self.edits)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "old_sha256": self.old_sha256,
            "edits": [[edit.start, edit.end, edit.text] for edit in self.edits],
        }

    @classmethod
    def from_json(cls, data: dict) -> "FileFix":
        edits = tuple(TextEdit(int(start), int(end), str(text)) for start, end, text in data["edits"])
        return cls(str(data["path"]), str(data["old_sha256"]), edits)


def text_edits(old: str, new: str) -> List[TextEdit]:
    """The smallest whole-line spans of ``old`` that differ from ``new``, in order and disjoint."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    offsets = [0]
    for line in old_lines:
        offsets.append(offsets[-1] + len(line))
    edits: List[TextEdit] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append(TextEdit(offsets[i1], offsets[i2], "".join(new_lines[j1:j2])))
    return edits


def apply_text_edits(old: str, edits: Sequence[TextEdit]) -> str:
    parts: List[str] = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < position or edit.end < edit.start or edit.end > len(old):
            raise ValueError(f"overlapping or out-of-range edit {edit}")
        parts.append(old[position : edit.start])
        parts.append(edit.text)
        position = edit.end
    parts.append(old[position:])
    return "".join(parts)
