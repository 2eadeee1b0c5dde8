"""Which annotation a threaded parameter gets: the attribute's builtin type when ``__init__``
makes it plain, from a literal, an annotation, or the ``__init__`` parameter it is copied from."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from zlint.fix.plan import attribute_python_type
from zlint.modules import summarise


def _owner(tmp_path: Path, init_body: str, signature: str = "self"):
    code = textwrap.dedent(
        f"""\
        class Owner:
            def __init__({signature}):
        {textwrap.indent(textwrap.dedent(init_body), "        ")}
            def forward(self, x):
                return x
        """
    )
    path = tmp_path / "owner.py"
    path.write_text(code)
    summary = summarise(path, ast.parse(code), lambda: cst.parse_module(code), lambda: code)
    return summary.classes["Owner"]


@pytest.mark.parametrize(
    "signature,body,attr,expected",
    [
        ("self", "self.flag = False", "flag", "bool"),
        ("self", "self.count = 3", "count", "int"),
        ("self", "self.scale: float = compute()", "scale", "float"),
        ("self", "self.name = 'x'", "name", "str"),
        ("self, flag: bool = False", "self.flag = flag", "flag", "bool"),
        ("self, flag=False", "self.flag = flag", "flag", "bool"),
        ("self, *, heads: int", "self.flag = heads", "flag", "int"),
        ("self, flag: Optional[bool] = None", "self.flag = flag", "flag", None),
        ("self, flag=None", "self.flag = flag", "flag", None),
        ("self, flag", "self.flag = flag", "flag", None),
        ("self", "self.flag = other", "flag", None),
        ("self", "self.flag = make()", "flag", None),
    ],
)
def test_attribute_type_for_the_threaded_annotation(tmp_path, signature, body, attr, expected):
    assert attribute_python_type(_owner(tmp_path, body, signature), attr) == expected
