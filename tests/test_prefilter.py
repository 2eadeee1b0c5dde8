"""The pre-filters may keep a clean file, but must never drop one the full rules would flag.

For every registered rule, on its own: the byte pre-filter (``TextFilter``) and the ``ast``
pre-filter (``candidate_classes``) derived from the rule's ``needs`` keep every file, and every
class, in which the full analysis (both pre-filters off) finds something for that rule. Checked
on generated model sources, on every rule's examples and on every fixture tree."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zlint.config import Config
from zlint.prefilter import ClassFacts, TextFilter, candidate_classes, may_have_findings
from zlint.rule import Needs, Rule
from zlint.runner import FileChecker, import_roots
from zlint.rules import ALL_RULES, analysis_rules
from tests.helpers import snippet

ALL_CODES = {rule.code for rule in ALL_RULES}
REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"

HEADER = """\
import contextlib
import torch.nn as nn
from vendor import Ext


@contextlib.contextmanager
def cm(m):
    old = m.flag
    m.flag = True
    yield
    m.flag = old


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.Linear(2, 2)
        self.attention = Ext()
        self.flag = False

    def forward(self, x):
        return self.attention(self.attn(x)) if self.flag else x

    def set_flag(self, value):
        self.attn.flag = value

    def get_base_layer(self) -> nn.Linear:
        return self.attn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([Inner() for _ in range(2)])
        self.block = Inner()
        self.heads = nn.ModuleDict({"a": Inner()})
        self.config = object()

    @property
    def mode(self):
        return self.block.flag

    @mode.setter
    def mode(self, value):
        self.block.flag = value

"""

NAMES = ["a", "b", "layer", "m", "x", "flag", "blk", "p"]
ATTRS = ["attention", "attn", "flag", "weight", "heads", "layers", "block"]

names = st.sampled_from(NAMES)
attrs = st.sampled_from(ATTRS)


def _expressions():
    base = st.one_of(
        st.sampled_from(["self", "self.layers", "self.block", "self.heads", "self.config", "self.modules()"]),
        names,
    )

    def extend(inner):
        return st.one_of(
            st.tuples(inner, attrs).map(lambda t: f"{t[0]}.{t[1]}"),
            inner.map(lambda e: f"{e}[0]"),
            inner.map(lambda e: f"{e}[1:]"),
            inner.map(lambda e: f"enumerate({e})"),
            st.tuples(inner, inner).map(lambda t: f"zip({t[0]}, {t[1]})"),
            inner.map(lambda e: f"{e}.values()"),
            inner.map(lambda e: f"{e}.items()"),
            inner.map(lambda e: f"{e}.named_modules()"),
            inner.map(lambda e: f'getattr({e}, "attn")'),
            inner.map(lambda e: f"list({e})"),
            inner.map(lambda e: f"{e}(x)"),
            inner.map(lambda e: f"{e}.get_base_layer()"),
            st.tuples(inner, inner).map(lambda t: f"[{t[0]}, {t[1]}]"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} if flag else {t[1]})"),
        )

    return st.recursive(base, extend, max_leaves=4)


expressions = _expressions()
targets = st.one_of(names, st.tuples(names, names).map(lambda t: f"{t[0]}, {t[1]}"))


def _statements(depth: int):
    simple = st.one_of(
        st.tuples(targets, expressions).map(lambda t: [f"{t[0]} = {t[1]}"]),
        st.tuples(expressions, attrs, expressions).map(lambda t: [f"{t[0]}.{t[1]} = {t[2]}"]),
        st.tuples(expressions, attrs).map(lambda t: [f"{t[0]}.{t[1]} += 1"]),
        st.tuples(expressions, attrs).map(lambda t: [f"del {t[0]}.{t[1]}"]),
        st.tuples(expressions, attrs).map(lambda t: [f'setattr({t[0]}, "{t[1]}", flag)']),
        st.tuples(expressions, attrs).map(lambda t: [f'{t[0]}.__dict__["{t[1]}"] = 1']),
        st.tuples(names, expressions).map(lambda t: [f"{t[0]} = {t[1]}.attention.attn.flag"]),
        expressions.map(lambda e: [f"x = {e}"]),
        st.sampled_from(["self.block", "layer", "self.layers[0]", "blk", "m"]).map(lambda e: [f"x = {e}(x)"]),
        st.tuples(expressions, expressions).map(lambda t: [f"self.helper({t[0]}, {t[1]})"]),
        st.just(['self.apply(lambda mod: setattr(mod, "flag", flag))']),
        st.just(["self.apply(self.visit)"]),
        expressions.map(lambda e: [f"{e}.set_flag(flag)"]),
        expressions.map(lambda e: ['put = lambda mod: setattr(mod, "flag", flag)', f"put({e})"]),
        expressions.map(lambda e: [f'list(map(lambda mod: setattr(mod, "flag", flag), {e}))']),
        st.just(["self.mode = flag"]),
        attrs.map(lambda a: [f"self.{a} = flag"]),
        st.tuples(st.sampled_from(["self.block", "self.layers[0]", "blk", "layer"]), attrs).map(
            lambda t: [f"h = {t[0]}.attention.attn.{t[1]}", f"x = {t[0]}(x)"]
        ),
    )
    if depth <= 0:
        return simple

    def block(body):
        return ["    " + line for line in body]

    inner = st.lists(_statements(depth - 1), min_size=1, max_size=3).map(lambda bodies: sum(bodies, []))
    return st.one_of(
        simple,
        st.tuples(targets, expressions, inner).map(lambda t: [f"for {t[0]} in {t[1]}:"] + block(t[2])),
        inner.map(lambda body: ["if flag:"] + block(body)),
        st.tuples(expressions, inner).map(lambda t: [f"with cm({t[0]}):"] + block(t[1])),
        st.tuples(inner, inner).map(lambda t: ["try:"] + block(t[0]) + ["finally:"] + block(t[1])),
        inner.map(lambda body: ["def inner(p):"] + block(body) + ["inner(self.block)"]),
    )


bodies = st.lists(_statements(2), min_size=1, max_size=6).map(lambda parts: sum(parts, []))


# How the entry point is spelled: the byte pre-filter must see each (``forward_*`` runs in a
# class without a ``forward`` of its own; ``def`` and the name may be apart by any whitespace).
ENTRY_POINTS = [
    "def forward",
    "def  forward",
    "def\tforward",
    "def \\\n        forward",
    "def forward_native",
    "async def forward",
]


def _program(forward_body, helper_body, visit_body, entry: str = "def forward") -> str:
    def method(signature, body, define="def"):
        lines = [f"    {define}{signature}:"] + ["        " + line for line in body] + ["        return x"]
        return "\n".join(lines)

    return (
        HEADER
        + method("(self, x, flag)", forward_body, entry)
        + "\n\n"
        + method(" helper(self, a, b, x=None, flag=None)", helper_body)
        + "\n\n"
        + method(" visit(self, mod, x=None, flag=None)", visit_body)
        + "\n\n\n"
        # No forward of its own: the inherited one reaches this override of helper.
        + "class Sub(Model):\n"
        + method(" helper(self, a, b, x=None, flag=None)", visit_body)
        + "\n"
    )


def _full_findings(tmp_path: Path, code: str):
    path = tmp_path / "model.py"
    path.write_text(code, encoding="utf-8")
    config = Config(project_root=tmp_path)
    checker = FileChecker(config, ALL_RULES, ALL_CODES | {"ZL000"}, prefilter=False)
    return checker.check(path)


def _top_level_class(tree: ast.Module, line: int):
    for node in tree.body:
        for inner in ast.walk(node):
            if isinstance(inner, ast.ClassDef) and inner is node and node.lineno <= line <= node.end_lineno:
                return node.name
    return None


def assert_rules_keep(data: bytes, findings, where: str) -> None:
    """Each rule's pre-filters, on their own, keep the file and the class of each of its findings
    (``findings``: what the full analysis found in the file)."""
    tree = None
    for rule in ALL_RULES:
        mine = [f for f in findings if f.code == rule.code]
        if not mine:
            continue
        assert TextFilter.for_rules([rule]).keeps(data), f"byte pre-filter dropped {where} with {rule.code}"
        tree = tree or ast.parse(data)
        candidates = candidate_classes(tree, ClassFacts.for_rules([rule]))
        assert candidates is None or candidates, f"ast pre-filter dropped {where} with {rule.code}"
        for finding in mine:
            owner = _top_level_class(tree, finding.start.line)
            if owner is not None and candidates is not None:
                assert owner in candidates, f"ast pre-filter dropped class {owner} of {where} with {rule.code}"


@pytest.mark.slow
@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(forward=bodies, helper=bodies, visit=bodies, entry=st.sampled_from(ENTRY_POINTS))
def test_prefilter_never_drops_a_file_with_findings(tmp_path_factory, forward, helper, visit, entry):
    code = _program(forward, helper, visit, entry)
    result = _full_findings(tmp_path_factory.mktemp("p"), code)
    assert not result.internal_errors
    assert_rules_keep(code.encode(), result.findings, f"the program\n{code}\n")


def _all_examples(kind):
    for rule in analysis_rules():  # ZL000's examples are files that do not parse
        for number, example in enumerate(getattr(rule, kind), start=1):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{number}")


@pytest.mark.parametrize("rule,example", list(_all_examples("invalid")) + list(_all_examples("valid")))
def test_every_rule_example_keeps_what_the_full_analysis_flags(tmp_path, rule, example):
    code = snippet(example.code)
    result = _full_findings(tmp_path, code)
    assert not result.internal_errors
    assert_rules_keep(code.encode(), result.findings, f"{rule.code}'s example")
    if example in rule.invalid:
        assert TextFilter.for_rules([rule]).keeps(code.encode())
        assert may_have_findings(ast.parse(code), [rule])


def _fixture_roots():
    roots = [DATA / name for name in ("mixed", "registry_model", "resolution", "zimage_tree", "sarif")]
    roots += sorted(p for p in (DATA / "fix_cases").glob("*/before"))
    roots += [REPO / "reference_model"]
    return [root for root in roots if any(root.rglob("*.py"))]


@pytest.mark.parametrize("root", _fixture_roots(), ids=lambda p: str(p.relative_to(REPO)))
def test_fixture_trees_keep_what_the_full_analysis_flags(root):
    """Across files: imports resolve as in a real run, and the pre-filters still keep every file
    the full analysis flags; and a run with them on finds exactly what one with them off does."""
    config = Config(project_root=root)
    full = FileChecker(config, ALL_RULES, set(ALL_CODES), prefilter=False, roots=import_roots(config))
    filtered = FileChecker(config, ALL_RULES, set(ALL_CODES), roots=import_roots(config))
    for path in sorted(root.rglob("*.py")):
        found = full.check(path)
        assert not found.internal_errors, found.internal_errors
        assert_rules_keep(path.read_bytes(), found.findings, str(path))
        kept = filtered.check(path)
        assert sorted(kept.findings, key=lambda f: f.sort_key()) == sorted(found.findings, key=lambda f: f.sort_key())


class _Undeclared(Rule):
    """A rule that declares no needs."""

    code = "ZL999"
    name = "undeclared"


def test_a_rule_without_needs_keeps_every_file_and_class():
    tree = ast.parse("class Plain:\n    def helper(self):\n        return 1\n")
    assert TextFilter.for_rules([_Undeclared]).keeps(b"x = 1\n")
    assert TextFilter.for_rules([ALL_RULES[0], _Undeclared]).keeps(b"x = 1\n")
    assert candidate_classes(tree, ClassFacts.for_rules([ALL_RULES[0], _Undeclared])) is None
    assert not TextFilter.for_rules([ALL_RULES[0]]).keeps(b"x = 1\n")
    assert not TextFilter.for_rules([]).keeps(b"def forward(self): pass\n")


def test_the_union_keeps_what_any_selected_rule_needs():
    reads = type("Reads", (_Undeclared,), {"needs": Needs(text=((b"needle",),), read_depth=2)})
    writes = type("Writes", (_Undeclared,), {"needs": Needs(text=((b"def",), (b"=",)), writes=True)})
    both = TextFilter.for_rules([reads, writes])
    assert both.keeps(b"needle") and both.keeps(b"def f(): x = 1") and not both.keeps(b"def f(): pass")
    facts = ClassFacts.for_rules([reads, writes, ALL_RULES[0]])
    assert facts.writes and not facts.self_writes and facts.read_depth == 2 and not facts.every_class


def test_files_in_other_encodings_are_tested_on_their_text():
    text = "# -*- coding: utf-16 -*-\nclass M:\n    def forward(self, x):\n        self.a.b = 1\n"
    data = "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
    assert b"def forward" not in data
    assert TextFilter.for_rules(ALL_RULES).keeps(data)
    cp037 = "# -*- coding: cp037 -*-\n".encode() + "def forward(self): pass\n".encode("cp037")
    assert TextFilter.for_rules(ALL_RULES).keeps(cp037)
    assert not TextFilter.for_rules(ALL_RULES).keeps("# -*- coding: utf-8 -*-\nx = 1\n".encode())


def test_the_prefilter_names_no_rule():
    """What the pre-filters look for comes from the rules' ``needs``, not from a list of codes."""
    source = (REPO / "lint" / "prefilter.py").read_text(encoding="utf-8")
    assert "ZL0" not in source


def test_prefilter_drops_plain_files():
    plain = textwrap.dedent(
        """
        import torch.nn as nn

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)

            def forward(self, x, state):
                state.step = 1
                hidden = self.fc(x)
                return hidden.view(-1).shape
        """
    )
    assert not may_have_findings(ast.parse(plain), [rule for rule in ALL_RULES if rule.code != "ZL006"])
    assert not TextFilter.for_rules(ALL_RULES).keeps(b"def helper():\n    return 1\n")


def _findings(tmp_path: Path, code: str, codes, prefilter: bool):
    path = tmp_path / "model.py"
    path.write_text(code, encoding="utf-8")
    checker = FileChecker(Config(project_root=tmp_path), ALL_RULES, set(codes), prefilter=prefilter)
    result = checker.check(path)
    assert not result.internal_errors
    return sorted((f.code, f.start.line, f.message) for f in result.findings)


@pytest.mark.parametrize("rule,example", list(_all_examples("invalid")))
def test_prefilter_keeps_every_class_with_a_finding(tmp_path, rule, example):
    """Class by class, not only file by file: the runner analyses only the candidate classes."""
    code = snippet(example.code)
    expected = _findings(tmp_path, code, {rule.code}, prefilter=False)
    assert expected, "the example has findings"
    assert _findings(tmp_path, code, {rule.code}, prefilter=True) == expected
