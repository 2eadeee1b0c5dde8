"""Every kind of write `zlint fix` was seen to get wrong, run through the differential harness:
each fix is either safe and then preserves what the model computes (outputs and plain attributes,
exactly, and behind blocks hidden by a wrapper), or unsafe with the assumption named in its note,
or refused with the reason, leaving every file as it was."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")  # the `reference` extra; CI installs it, so these run there

from tests.differential import Case, compare, fix_case, inputs, load, run_hidden  # noqa: E402

pytestmark = pytest.mark.torch

HEADER = "import torch\nimport torch.nn as nn\n\n\n"


def pkg(**modules: str):
    files = {"pkg/__init__.py": ""}
    for name, text in modules.items():
        head = ""
        for prefix in ("# zlint: ignore-file\n", HEADER):
            if text.startswith(prefix):
                head, text = head + prefix, text[len(prefix) :]
        files[f"pkg/{name}.py"] = head + textwrap.dedent(text).lstrip("\n")
    return files


LEAF = (
    HEADER
    + """
class Leaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.flag = False
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        y = self.lin(x)
        return y if self.flag else -y
"""
)

BLOCK = (
    HEADER
    + """
from .leaf import Leaf


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.leaf = Leaf()

    def forward(self, x):
        return self.leaf(x) + x
"""
)


def model(
    init: str,
    body: str,
    signature: str = "self, x, flag",
    imports: str = "from .block import Block\n",
    returns: str = "",
) -> str:
    return (
        HEADER
        + imports
        + "\n\nclass Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        + textwrap.indent(textwrap.dedent(init).strip("\n"), " " * 8)
        + "\n\n"
        + f"    def forward({signature}){returns}:\n"
        + textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8)
        + "\n"
    )


FLAGS = inputs((2, 4), [True, False, True])

# name -> (case, expected verdict, a phrase of the note for unsafe/refused fixes)
CASES = {
    # 1. A write to one element reaches only that element.
    "element_write_loop": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(3)])",
                    """
        self.layers[-1].leaf.flag = flag
        for layer in self.layers:
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "is not shown to run that same block",
    ),
    "element_write_direct": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(3)])",
                    """
        for layer in self.layers[:-1]:
            x = layer(x)
        self.layers[-1].leaf.flag = flag
        return self.layers[-1](x)
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "unsafe",
        "does not rely on the value a previous write left",
    ),
    "element_write_then_loop": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(3)])",
                    """
        self.layers[0].leaf.flag = flag
        x = self.layers[0](x)
        for layer in self.layers[1:]:
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "may run the written block without the value",
    ),
    "element_write_dict": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    'self.towers = nn.ModuleDict({"text": Block(), "image": Block()})',
                    """
        self.towers["text"].leaf.flag = flag
        x = self.towers["text"](x)
        return self.towers["image"](x)
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "safe",
        "",
    ),
    "element_called_again_later": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(3)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer(x)
        return self.layers[0](x)
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "runs later in the same forward",
    ),
    # 2. The loop variable bound to another block between the write and the call.
    "rebound_loop_variable": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.up = nn.ModuleList([Block(), Block()])\nself.down = nn.ModuleList([Block(), Block()])",
                    """
        for layer in self.up:
            layer.leaf.flag = flag
            layer = self.up[1]
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "`layer` is bound again",
    ),
    # 3. Other ways to run the block.
    "call_forward_method": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer.forward(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "safe",
        "",
    ),
    "call_checkpoint_bound_method": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            if self.training:
                x = checkpoint(layer.__call__, x, use_reentrant=False)
            else:
                x = layer(x)
        return x
        """,
                    imports="from torch.utils.checkpoint import checkpoint\n\nfrom .block import Block\n",
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "handed on as a value",
    ),
    # 4. The value is evaluated once, where the write was.
    "value_evaluated_once": (
        Case(
            pkg(
                leaf=HEADER
                + """
        class Leaf(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = 1.0

            def forward(self, x):
                return x * self.scale
        """,
                block=BLOCK,
                model=HEADER
                + """
        from .block import Block


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([Block() for _ in range(3)])
                self.calls = 0

            def bump(self):
                self.calls += 1
                return float(self.calls)

            def forward(self, x, scale):
                for layer in self.layers:
                    layer.leaf.scale = scale * self.bump()
                    scale = scale + 1.0
                    if x.sum() > 0:
                        x = layer(x)
                    else:
                        x = layer(-x)
                return x
        """,
            ),
            calls=inputs((2, 4), [0.5, 2.0]),
            attrs=("scale",),
        ),
        "safe",
        "",
    ),
    # 5. None is a real value ("no clamp"), so "not given" needs a sentinel.
    "none_is_a_value": (
        Case(
            pkg(
                leaf=HEADER
                + """
        class Leaf(nn.Module):
            def __init__(self, limit=0.25):
                super().__init__()
                self.limit = limit

            def forward(self, x):
                if self.limit is None:
                    return x
                return x.clamp(-self.limit, self.limit)
        """,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.limit = limit
            x = layer(x)
        return x
        """,
                    signature="self, x, limit=None",
                ),
            ),
            calls=inputs((2, 4), [None, 0.5, None]),
            attrs=("limit",),
        ),
        "safe",
        "",
    ),
    # 6. An existing parameter of the same name that means something else.
    "existing_parameter_other_meaning": (
        Case(
            pkg(
                leaf=HEADER
                + """
        class Leaf(nn.Module):
            def __init__(self):
                super().__init__()
                self.flag = False

            def forward(self, x, flag_override=False):
                return x if (self.flag or flag_override) else -x
        """,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "already has a parameter `flag_override`",
    ),
    # 6b. An existing parameter that does mean "use this instead when given", as a conditional
    # expression: reused, and the fix preserves outputs (the sglang leaf's shape).
    "existing_parameter_same_meaning": (
        Case(
            pkg(
                leaf=HEADER
                + """
        from typing import Optional


        class Leaf(nn.Module):
            def __init__(self):
                super().__init__()
                self.flag = False

            def forward(self, x, flag_override: Optional[bool] = None):
                flag = self.flag if flag_override is None else flag_override
                return x if flag else -x
        """,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "safe",
        "",
    ),
    # 7. One leaf instance on two paths.
    "shared_instance": (
        Case(
            pkg(
                leaf=LEAF,
                model=HEADER
                + """
        from .leaf import Leaf


        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.leaf = Leaf()

            def forward(self, x):
                return self.leaf(x)


        class Decoder(nn.Module):
            def __init__(self, leaf):
                super().__init__()
                self.leaf = leaf

            def forward(self, x):
                return self.leaf(x) * 2


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = Encoder()
                self.decoder = Decoder(self.encoder.leaf)

            def forward(self, x, flag):
                self.encoder.leaf.flag = flag
                x = self.encoder(x)
                return self.decoder(x)
        """,
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "handed on in `Model.__init__`",
    ),
    # 8. Reads the fix would not rewrite.
    "read_through_getattr": (
        Case(
            pkg(
                leaf=HEADER
                + """
        class Leaf(nn.Module):
            def __init__(self):
                super().__init__()
                self.flag = False

            def forward(self, x):
                return x if getattr(self, "flag", False) else -x

            def describe(self):
                return self.flag
        """,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        'getattr(self, "flag", False)',
    ),
    "read_by_intermediate": (
        Case(
            pkg(
                leaf=LEAF,
                block=HEADER
                + """
        from .leaf import Leaf


        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.leaf = Leaf()

            def forward(self, x):
                out = self.leaf(x)
                return out * 3 if self.leaf.flag else out
        """,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "`Block.forward` reads `self.leaf.flag`",
    ),
    "read_by_parent_later": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer(x)
        return x * 2 if self.layers[0].leaf.flag else x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "after the write; it would see the old value",
    ),
    "read_outside_forward": (
        Case(
            pkg(
                leaf=LEAF.replace(
                    "        return y if self.flag else -y\n",
                    """        return y if self.flag else -y

    def extra_repr(self):
        return f"flag={self.flag}"
""",
                ),
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "unsafe",
        "the fix assumes it is not called",
    ),
    # 9. A one-line forward needs the fallback too; a second leaf off the threaded path uses it.
    "one_line_leaf": (
        Case(
            pkg(
                leaf=HEADER
                + """
        class Leaf(nn.Module):
            def __init__(self):
                super().__init__()
                self.gain = 2.0

            def forward(self, x): return x * self.gain
        """,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])\nself.extra = Block()",
                    """
        for layer in self.layers:
            layer.leaf.gain = gain
            x = layer(x)
        return self.extra(x)
        """,
                    signature="self, x, gain: float",
                ),
            ),
            calls=inputs((2, 4), [0.5, 3.0]),
            attrs=("gain",),
        ),
        "safe",
        "",
    ),
    # 10. Two owners of the same attribute name before one call.
    "two_owners_one_name": (
        Case(
            pkg(
                leaf=LEAF,
                block=HEADER
                + """
        from .leaf import Leaf


        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn1 = Leaf()
                self.attn2 = Leaf()

            def forward(self, x):
                return self.attn1(x) + self.attn2(x)
        """,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.attn1.flag = flag
            layer.attn2.flag = True
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "one `flag_override` argument cannot carry both",
    ),
    # 11. A chained assignment keeps its other target.
    "chained_assignment": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])\nself.last = None",
                    """
        for layer in self.layers:
            layer.leaf.flag = self.last = flag
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "safe",
        "",
    ),
    # 12. An alias used by two writes goes when both writes go.
    "dead_alias": (
        Case(
            pkg(
                leaf=HEADER
                + """
        class Leaf(nn.Module):
            def __init__(self):
                super().__init__()
                self.flag = False
                self.mode = "plain"

            def forward(self, x):
                y = x * 2 if self.mode == "double" else x
                return y if self.flag else -y
        """,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            leaf = layer.leaf
            leaf.flag = flag
            leaf.mode = "double" if flag else "plain"
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag", "mode"),
        ),
        "safe",
        "",
    ),
    # 13. modules() also reaches a block built by a factory.
    "broadcast_reaches_factory_block": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                factory=HEADER
                + """
        from .block import Block


        def build_block():
            return Block()
        """,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])\nself.extra = build_block()",
                    """
        for m in self.modules():
            if isinstance(m, Leaf):
                m.flag = flag
        for layer in self.layers:
            x = layer(x)
        return self.extra(x)
        """,
                    imports="from .block import Block\nfrom .factory import build_block\nfrom .leaf import Leaf\n",
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "modules() also reaches `Model.extra`",
    ),
    "broadcast_resolved": (
        Case(
            pkg(
                leaf=LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for m in self.modules():
            if isinstance(m, Leaf):
                m.flag = flag
        for layer in self.layers:
            x = layer(x)
        return x
        """,
                    imports="from .block import Block\nfrom .leaf import Leaf\n",
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "safe",
        "",
    ),
    # 14. Files excluded by configuration or marked ignore-file are never edited.
    "excluded_by_configuration": (
        Case(
            {
                "pkg/__init__.py": "",
                "pkg/vendor/__init__.py": "",
                "pkg/vendor/leaf.py": textwrap.dedent(LEAF),
                "pkg/block.py": BLOCK.replace("from .leaf import Leaf", "from .vendor.leaf import Leaf"),
                "pkg/model.py": model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
            for layer in self.layers:
                layer.leaf.flag = flag
                x = layer(x)
            return x
            """,
                ),
            },
            calls=FLAGS,
            pyproject='[tool.zlint]\nextend-exclude = ["pkg/vendor"]\n',
            attrs=("flag",),
        ),
        "refused",
        "which is excluded by configuration",
    ),
    "marked_ignore_file": (
        Case(
            pkg(
                leaf="# zlint: ignore-file\n" + LEAF,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = flag
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "refused",
        "marked `# zlint: ignore-file`",
    ),
    "annotation_only_with_known_type": (
        Case(
            pkg(
                leaf=HEADER
                + """
        class Leaf(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.scale = 1

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x * self.scale
        """,
                block=HEADER
                + """
        from .leaf import Leaf


        class Block(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.leaf = Leaf()

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.leaf(x) + x
        """,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.scale = scale
            x = layer(x)
        return x
        """,
                    signature="self, x: torch.Tensor, scale: float",
                    returns=" -> torch.Tensor",
                ),
            ),
            calls=inputs((2, 4), [0.5, 1.5]),
            attrs=("scale",),
        ),
        "safe",
        "",
    ),
    # A tuple value: check offers only what fix can apply.
    "tuple_value": (
        Case(
            pkg(
                leaf=HEADER
                + """
        class Leaf(nn.Module):
            def __init__(self):
                super().__init__()
                self.flag = (1,)

            def forward(self, x):
                return x * len(self.flag)
        """,
                block=BLOCK,
                model=model(
                    "self.layers = nn.ModuleList([Block() for _ in range(2)])",
                    """
        for layer in self.layers:
            layer.leaf.flag = 1, 2
            x = layer(x)
        return x
        """,
                ),
            ),
            calls=FLAGS,
            attrs=("flag",),
        ),
        "safe",
        "",
    ),
}


def _note_of(outcome):
    return " | ".join(f.fix_note for f in outcome.before)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fix_is_safe_and_preserving_or_unsafe_or_refused(name, tmp_path):
    case, verdict, phrase = CASES[name]
    outcome = fix_case(case, tmp_path)
    assert outcome.before, "the case must have findings"
    applicability = {f.fix_applicability for f in outcome.before}
    if verdict == "safe":
        assert applicability == {"safe"} and all(f.fixable for f in outcome.before), _note_of(outcome)
        assert outcome.after == [], outcome.output
        assert outcome.changed
        original, fixed = load(outcome.original, case.entry), load(outcome.fixed, case.entry)
        assert compare(original, fixed, case, case.attrs) == []
        assert run_hidden(original, fixed, case) == []
    elif verdict == "unsafe":
        assert applicability == {"unsafe"} and not any(f.fixable for f in outcome.before)
        assert all(phrase in f.fix_note for f in outcome.before), _note_of(outcome)
        assert outcome.changed == [], "an unsafe fix is applied only with --unsafe-fixes"
        forced = fix_case(case, tmp_path / "unsafe", unsafe=True)
        assert forced.after == [] and forced.changed
        original, fixed = load(forced.original, case.entry), load(forced.fixed, case.entry)
        # The stated assumption holds here: nothing calls the method outside forward.
        assert compare(original, fixed, case, case.attrs) == []
        assert run_hidden(original, fixed, case) == []
    else:
        assert applicability == {None}, _note_of(outcome)
        assert any(phrase in f.fix_note for f in outcome.before), _note_of(outcome)
        assert all(f.fix_note.startswith("no fix:") for f in outcome.before), _note_of(outcome)
        assert outcome.changed == [], "a refused fix edits nothing"
        forced = fix_case(case, tmp_path / "unsafe", unsafe=True)
        assert forced.changed == [], "--unsafe-fixes does not apply a refused fix"


def test_check_offers_only_fixes_that_fix_applies(tmp_path):
    """Every finding `check` marks fixable is gone after `fix`, in every case above."""
    for name, (case, _, _) in sorted(CASES.items()):
        outcome = fix_case(case, tmp_path / name)
        offered = {(f.path, f.start.line) for f in outcome.before if f.fixable}
        left = {(f.path, f.start.line) for f in outcome.after}
        assert not offered & left, (name, outcome.output)


def test_the_fixes_have_the_expected_shape(tmp_path):
    """What the soundness rules look like in the fixed code."""

    def fixed_text(name, rel="pkg/model.py"):
        case = CASES[name][0]
        outcome = fix_case(case, tmp_path / name)
        return (outcome.fixed / rel).read_text()

    once = fixed_text("value_evaluated_once")
    assert "scale_override = scale * self.bump()" in once and once.count("self.bump()") == 1
    chained = fixed_text("chained_assignment")
    assert "self.last = flag" in chained and "layer.leaf" not in chained
    assert "leaf = layer.leaf" not in fixed_text("dead_alias")
    sentinel = fixed_text("none_is_a_value", "pkg/leaf.py")
    assert "_NOT_GIVEN = object()" in sentinel and "if limit_override is _NOT_GIVEN:" in sentinel
    assert "from .leaf import _NOT_GIVEN" in fixed_text("none_is_a_value", "pkg/block.py")
    one_line = fixed_text("one_line_leaf", "pkg/leaf.py")
    assert "if gain_override is None:\n            gain_override = self.gain\n" in one_line
    annotated = fixed_text("annotation_only_with_known_type", "pkg/block.py")
    assert "Optional[int]" not in annotated and "Optional[float]" not in annotated
    assert "x = layer.forward(x, flag_override=flag)" in fixed_text("call_forward_method")


GOLDEN = Path(__file__).parent / "data" / "fix_cases"
RUNNABLE = sorted(p.parent.name for p in GOLDEN.glob("*/run.json"))


def _golden_case(name: str) -> Case:
    spec = json.loads((GOLDEN / name / "run.json").read_text())
    files = {
        p.relative_to(GOLDEN / name / "before").as_posix(): p.read_text()
        for p in sorted((GOLDEN / name / "before").rglob("*.py"))
    }

    def calls():
        generator = torch.Generator().manual_seed(7)
        xs = [torch.randn(*spec["shape"], generator=generator) for _ in range(2)]
        return [((x, *args), {}) for x in xs for args in spec["args"]]

    return Case(files, spec["entry"], tuple(spec["init"]), calls, attrs=tuple(spec["attrs"]))


def test_every_fixable_golden_case_is_runnable():
    fixable = sorted(p.name for p in GOLDEN.iterdir() if (p / "after").is_dir() or (p / "after_unsafe").is_dir())
    assert fixable == RUNNABLE


@pytest.mark.parametrize("name", RUNNABLE)
def test_golden_fix_preserves_what_the_model_computes(name, tmp_path):
    case = _golden_case(name)
    unsafe = (GOLDEN / name / "after_unsafe").is_dir()
    outcome = fix_case(case, tmp_path, unsafe=unsafe)
    assert outcome.changed and outcome.after == [], outcome.output
    original, fixed = load(outcome.original, case.entry), load(outcome.fixed, case.entry)
    assert compare(original, fixed, case, case.attrs) == []
    assert run_hidden(original, fixed, case) == []


def test_the_harness_sees_a_fix_that_changes_outputs(tmp_path):
    """A hand-made "fix" that drops the value is caught, and the legacy form fails behind the
    wrapper: the harness can fail."""
    case = CASES["chained_assignment"][0]
    outcome = fix_case(case, tmp_path)
    parent = outcome.fixed / "pkg" / "model.py"
    text = parent.read_text()
    assert "x = layer(x, flag_override=flag)" in text
    parent.write_text(text.replace("x = layer(x, flag_override=flag)", "x = layer(x)"))
    original, broken = load(outcome.original, case.entry), load(outcome.fixed, case.entry)
    assert any("outputs differ" in p for p in compare(original, broken, case, case.attrs))
    assert any("AttributeError" in p for p in run_hidden(original, original, case))


def test_fix_lists_the_files_it_changed_and_the_findings_it_left(tmp_path):
    fixed = fix_case(CASES["dead_alias"][0], tmp_path / "fixed")
    for rel in ("pkg/block.py", "pkg/leaf.py", "pkg/model.py"):
        assert f"Changed {rel}\n" in fixed.output
    assert "Fixed 2 errors." in fixed.output and "Not fixed" not in fixed.output
    refused = fix_case(CASES["excluded_by_configuration"][0], tmp_path / "refused")
    assert "Changed" not in refused.output and "Fixed 0 errors." in refused.output
    assert (
        "Not fixed: pkg/model.py:15:13: ZL001: no fix: it would edit pkg/vendor/leaf.py, which is excluded by "
        "configuration" in refused.output
    )
    unsafe = fix_case(CASES["read_outside_forward"][0], tmp_path / "unsafe")
    assert (
        "Not fixed: pkg/model.py:15:13: ZL001: unsafe, applied only with --unsafe-fixes: `Leaf.extra_repr`"
        in unsafe.output
    )


def _fixable_rule_examples():
    from zlint.rules import ALL_RULES
    from tests.helpers import snippet

    found = []
    for rule in ALL_RULES:
        for number, example in enumerate(rule.invalid):
            if rule.fixable:
                found.append((f"{rule.code}-{number}", snippet(example.code)))
    return found


def test_fixable_rule_examples_preserve_what_the_model_computes(tmp_path):
    """A rule's example whose fix is offered runs the same before and after it (`Model(x, flag)`);
    one whose fix is not offered is left as it is."""
    ran = 0
    for name, code in _fixable_rule_examples():
        case = Case({"example.py": code}, "example:Model", (), inputs((2, 3), [True, False, True]))
        outcome = fix_case(case, tmp_path / name)
        offered = [f for f in outcome.before if f.fix_applicability == "safe"]
        if not offered:
            assert outcome.changed == [], name
            continue
        attrs = tuple(f.message.split("`")[3] for f in offered)
        original, fixed = load(outcome.original, case.entry), load(outcome.fixed, case.entry)
        assert compare(original, fixed, case, attrs) == [], name
        assert run_hidden(original, fixed, case) == [], name
        ran += 1
    assert ran >= 1
