"""Fixes as data: line-span edits with the hash of the text they were planned against."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from zlint.fix.edits import FileFix, TextEdit, apply_text_edits, text_edits

LINES = st.lists(st.sampled_from(["a\n", "b\n", "def f(x):\n", "    return x\n", "\n", "c", "é\r\n"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(LINES, LINES)
def test_edits_turn_the_old_text_into_the_new(old_lines, new_lines):
    old, new = "".join(old_lines), "".join(new_lines)
    edits = text_edits(old, new)
    assert apply_text_edits(old, edits) == new
    assert all(a.end <= b.start for a, b in zip(edits, edits[1:])), "edits are disjoint and ordered"
    assert (edits == []) == (old == new)


def test_a_fix_round_trips_through_json_and_refuses_a_changed_file():
    old = "class M:\n    def forward(self, x):\n        self.a.flag = 1\n        return self.a(x)\n"
    new = "class M:\n    def forward(self, x):\n        return self.a(x, flag_override=1)\n"
    fix = FileFix.between("m.py", old, new)
    again = FileFix.from_json(json.loads(json.dumps(fix.to_json())))
    assert again == fix and again.apply(old) == new
    assert again.apply(old + "# edited\n") is None
    assert fix.edits == (
        TextEdit(
            start=len("class M:\n    def forward(self, x):\n"),
            end=len(old),
            text="        return self.a(x, flag_override=1)\n",
        ),
    )
