"""Generated model families through the differential harness: every fix `zlint fix` applies as
safe preserves the outputs and plain attributes exactly, and the fixed model runs with its blocks
behind a wrapper that hides their submodules; a fix that is not safe edits nothing by default."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")  # the `reference` extra; CI installs it, so this runs there

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.differential import Case, compare, load, run_hidden, write_tree  # noqa: E402
from tests.helpers import chdir  # noqa: E402
from zlint.config import Config  # noqa: E402
from zlint.fix.run import apply_fixes, plan_fixes  # noqa: E402

pytestmark = pytest.mark.torch

MODELS = 300  # generated models per run, with a fixed profile (derandomized)

# attribute -> (initial value in __init__, how the leaf reads it, the values passed to forward,
#               a literal to write, an expression of `v`)
ATTRS = {
    "flag": ("False", "y if {r} else -y", [True, False], "True", "not v"),
    "gain": ("2.0", "y * {r}", [0.5, 3.0], "1.5", "v * 2.0"),
    "limit": ("limit", "y if {r} is None else y.clamp(-{r}, {r})", [None, 0.25], "None", "v if v is None else v * 2"),
}


@st.composite
def families(draw):
    attr = draw(st.sampled_from(sorted(ATTRS)))
    init_value, read, values, literal, expression = ATTRS[attr]
    # Each dimension mixes the shapes a fix must handle with rarer ones it must refuse or mark.
    leaf_shape = draw(st.sampled_from(["block"] * 3 + ["one_line"] * 2 + ["helper"] * 2 + ["getattr", "read_outside"]))
    existing = draw(st.sampled_from(["none"] * 5 + ["matching"] * 2 + ["other_meaning"]))
    depth = draw(st.integers(0, 2))
    access = draw(st.sampled_from(["loop"] * 3 + ["element", "direct", "dict", "element_then_loop"]))
    call_form = draw(st.sampled_from(["call"] * 3 + ["forward", "branches", "checkpoint"]))
    value = draw(st.sampled_from(["name", "name", "literal", "expression", "side_effect", "rebound"]))
    alias = draw(st.booleans())
    shared = draw(st.integers(0, 7)) == 0
    off_path = draw(st.booleans())
    chained = draw(st.integers(0, 4)) == 0
    # How the write is made: ZL001, setattr (ZL002), set-call-restore (ZL004), modules() (ZL003).
    form = draw(st.sampled_from(["assign"] * 4 + ["setattr", "toggle", "broadcast"]))
    middle_reads = draw(st.integers(0, 7)) == 0  # a class on the path reads the attribute too
    again = draw(st.integers(0, 7)) == 0  # the written block runs once more after the loop
    if form == "broadcast":
        alias = chained = False
    if form == "toggle":
        chained = False

    param = f"{attr}_override"
    r = f"self.{attr}"
    # -- the leaf: owns the attribute and reads it during forward --------------------------------
    init_param = ", limit=0.5" if attr == "limit" else ""
    leaf = [
        "import torch",
        "import torch.nn as nn",
        "",
        "",
        "class Leaf(nn.Module):",
        f"    def __init__(self{init_param}):",
        "        super().__init__()",
        f"        self.{attr} = {init_value}",
        "        self.w = nn.Parameter(torch.randn(3))",
        "",
    ]
    extra_param = ""
    if existing == "matching":
        extra_param = f", {param}=None"
    elif existing == "other_meaning":
        extra_param = f", {param}=False" if attr == "flag" else f", {param}=1.0"
    binding = []
    reader = r
    if existing == "matching":
        binding = [f"        if {param} is None:", f"            {param} = self.{attr}"]
        reader = param
    elif existing == "other_meaning":
        reader = f"({r} or {param})" if attr == "flag" else f"({r} * {param})"
    if leaf_shape == "getattr":
        reader = f'getattr(self, "{attr}")'
    expr = read.format(r=reader).replace("y", "(x * self.w)")
    if leaf_shape == "one_line" and not binding:
        leaf += [f"    def forward(self, x{extra_param}): return {expr}"]
    elif leaf_shape == "helper" and not binding and existing == "none":
        leaf += [
            "    def forward(self, x):",
            "        return self._apply(x)",
            "",
            "    def _apply(self, x):",
            f"        return {expr}",
        ]
    else:
        leaf += [f"    def forward(self, x{extra_param}):", *binding, f"        return {expr}"]
    if leaf_shape == "read_outside":
        leaf += ["", "    def extra_repr(self):", f'        return f"{attr}={{self.{attr}}}"']
    # -- the path down to it ------------------------------------------------------------------
    model = [
        "import torch",
        "import torch.nn as nn",
        "from torch.utils.checkpoint import checkpoint",
        "",
        "from .leaf import Leaf",
        "",
        "",
    ]
    child, path = "Leaf", ""
    for level in range(depth):
        name = f"Level{level}"
        model += [
            f"class {name}(nn.Module):",
            "    def __init__(self):",
            "        super().__init__()",
            f"        self.sub = {child}()",
            "",
            "    def forward(self, x):",
            "        return self.sub(x) + x"
            + (f" * (2 if self.sub.{attr} else 1)" if middle_reads and level == 0 and attr == "flag" else ""),
            "",
            "",
        ]
        child, path = name, ".sub" + path
    model += [
        "class Holder(nn.Module):",
        "    def __init__(self, inner):",
        "        super().__init__()",
        "        self.inner = inner",
        "",
        "    def forward(self, x):",
        "        return self.inner(x) * 2",
        "",
        "",
    ]
    # -- the parent: writes the attribute and calls the block -------------------------------------
    init = []
    if access in ("loop", "element", "element_then_loop"):
        init.append(f"self.layers = nn.ModuleList([{child}() for _ in range(3)])")
    elif access == "direct":
        init.append(f"self.block = {child}()")
    else:
        init.append(f'self.towers = nn.ModuleDict({{"a": {child}(), "b": {child}()}})')
    first = {
        "loop": "self.layers[0]",
        "element": "self.layers[1]",
        "element_then_loop": "self.layers[1]",
        "direct": "self.block",
        "dict": 'self.towers["a"]',
    }[access]
    if shared:
        init.append(f"self.other = Holder({first}{path})")
    if off_path:
        init.append("self.extra = Leaf()")
    init.append("self.count = 0")
    init.append("self.last = None")
    signature = "self, x, v=None" if attr == "limit" else "self, x, v"
    forward = [f"    def forward({signature}):"]
    block_expr, indent = {
        "loop": ("layer", "        "),
        "element": ("self.layers[1]", "    "),
        "element_then_loop": ("self.layers[1]", "    "),
        "direct": ("self.block", "    "),
        "dict": ('self.towers["a"]', "    "),
    }[access]
    pad = "    " + indent
    if form == "broadcast":
        written_once = {
            "name": "v",
            "literal": literal,
            "expression": expression,
            "side_effect": "self.bump(v)",
            "rebound": "v",
        }[value]
        forward += [
            "        for m in self.modules():",
            "            if isinstance(m, Leaf):",
            f"                m.{attr} = {written_once}",
        ]
    if access == "loop":
        forward.append("        for layer in self.layers:")
    written = {
        "name": "v",
        "literal": literal,
        "expression": expression,
        "side_effect": "self.bump(v)",
        "rebound": "v",
    }[value]
    target = f"{block_expr}{path}"
    if alias:
        forward.append(f"{pad}t = {target}")
        target = "t"
    if form == "broadcast":
        pass
    elif form == "setattr":
        forward.append(f'{pad}setattr({target}, "{attr}", {written})')
    elif form == "toggle":
        forward.append(f"{pad}saved = {target}.{attr}")
        forward.append(f"{pad}{target}.{attr} = {written}")
    elif chained:
        forward.append(f"{pad}{target}.{attr} = self.last = {written}")
    else:
        forward.append(f"{pad}{target}.{attr} = {written}")
    if value == "rebound":
        forward.append(f"{pad}v = {values[1]!r}")

    def run(arg):
        if call_form == "forward":
            return f"{block_expr}.forward({arg})"
        if call_form == "checkpoint":
            return f"checkpoint({block_expr}.__call__, {arg}, use_reentrant=False)"
        return f"{block_expr}({arg})"

    if call_form == "branches":
        forward += [f"{pad}if x.sum() > 0:", f"{pad}    x = {run('x')}", f"{pad}else:", f"{pad}    x = {run('-x')}"]
    else:
        forward.append(f"{pad}x = {run('x')}")
    if form == "toggle":
        forward.append(f"{pad}{target}.{attr} = saved")
    if access == "element_then_loop":
        forward += ["        for layer in self.layers:", "            x = layer(x)"]
    if again:
        forward.append(
            "        x = "
            + {
                "loop": "self.layers[0]",
                "element": "self.layers[1]",
                "element_then_loop": "self.layers[1]",
                "direct": "self.block",
                "dict": 'self.towers["a"]',
            }[access]
            + "(x)"
        )
    if access == "dict":
        forward.append('        x = self.towers["b"](x)')
    if shared:
        forward.append("        x = self.other(x)")
    if off_path:
        forward.append("        x = self.extra(x)")
    forward.append("        return x")
    model += [
        "class Model(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *[f"        {line}" for line in init],
        "",
        "    def bump(self, v):",
        "        self.count += 1",
        "        return v",
        "",
        *forward,
    ]
    files = {"pkg/__init__.py": "", "pkg/leaf.py": "\n".join(leaf) + "\n", "pkg/model.py": "\n".join(model) + "\n"}
    return {
        "files": files,
        "attr": attr,
        "values": values,
        "dims": (
            attr,
            leaf_shape,
            existing,
            depth,
            access,
            call_form,
            value,
            alias,
            shared,
            off_path,
            chained,
            form,
            middle_reads,
            again,
        ),
    }


def _calls(values):
    def make():
        generator = torch.Generator().manual_seed(3)
        xs = [torch.randn(2, 3, generator=generator) for _ in range(2)]
        return [((x, v), {}) for x in xs for v in values]

    return make


def _snapshot(root: Path):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


@pytest.mark.slow
def test_safe_fixes_preserve_outputs_and_survive_hidden_blocks(tmp_path_factory):
    seen: Counter = Counter()
    broken = []

    @settings(
        max_examples=MODELS, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(family=families())
    def check(family):
        seen["models"] += 1
        base = tmp_path_factory.mktemp("family")
        original, fixed = base / "original", base / "fixed"
        write_tree(original, family["files"])
        write_tree(fixed, family["files"])
        config = Config(project_root=fixed)
        with chdir(fixed):
            outcome = plan_fixes([Path(".")], config)
            before = _snapshot(fixed)
            apply_fixes(outcome)
        findings = [f for f in outcome.before.findings if f.code.startswith("ZL00")]
        assert findings, family["dims"]
        for finding in findings:
            seen[finding.fix_applicability or "refused"] += 1
        if not any(f.fixable for f in findings):
            assert _snapshot(fixed) == before, "a fix that is not safe edits nothing by default"
            shutil.rmtree(base)
            return
        seen["models with a safe fix"] += 1
        case = Case(family["files"], calls=_calls(family["values"]))
        first, second = load(original, case.entry), load(fixed, case.entry)
        every = all(f.fixable for f in findings)
        # With every write fixed, the attribute must keep its value in the fixed model; with some
        # left (a restore the fix could not pair), only the outputs are compared.
        problems = compare(first, second, case, (family["attr"],), check_state=every)
        if every:
            problems += run_hidden(first, second, case)
        if problems:
            broken.append((family["dims"], problems[:2]))
        shutil.rmtree(base)

    check()
    print(
        f"\ngenerated models: {seen['models']} ({seen['models with a safe fix']} with a safe fix run both ways); "
        f"findings: {seen['safe']} safe, {seen['unsafe']} unsafe, {seen['refused']} refused; "
        f"safe fixes that changed behaviour: {len(broken)}"
    )
    assert broken == [], "\n".join(map(str, broken))
    assert seen["models"] >= MODELS
    assert seen["safe"] >= MODELS // 5 and seen["refused"] >= MODELS // 10  # every verdict is exercised
