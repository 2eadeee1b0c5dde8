"""The pre-filter may keep a clean file, but must never drop one the full rules would flag."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zlint.config import Config
from zlint.prefilter import may_have_findings, quick_reject
from zlint.runner import FileChecker
from zlint.rules import ALL_RULES, analysis_rules
from tests.helpers import snippet

ALL_CODES = {rule.code for rule in ALL_RULES}

HEADER = '''\
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

'''

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


def _program(forward_body, helper_body, visit_body) -> str:
    def method(signature, body):
        lines = [f"    def {signature}:"] + ["        " + line for line in body] + ["        return x"]
        return "\n".join(lines)

    return (
        HEADER
        + method("forward(self, x, flag)", forward_body) + "\n\n"
        + method("helper(self, a, b, x=None, flag=None)", helper_body) + "\n\n"
        + method("visit(self, mod, x=None, flag=None)", visit_body) + "\n\n\n"
        # No forward of its own: the inherited one reaches this override of helper.
        + "class Sub(Model):\n"
        + method("helper(self, a, b, x=None, flag=None)", visit_body) + "\n"
    )


def _full_findings(tmp_path: Path, code: str):
    path = tmp_path / "model.py"
    path.write_text(code, encoding="utf-8")
    config = Config(project_root=tmp_path)
    checker = FileChecker(config, ALL_RULES, ALL_CODES | {"ZL000"}, prefilter=False)
    return checker.check(path)


@pytest.mark.slow
@settings(max_examples=500, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(forward=bodies, helper=bodies, visit=bodies)
def test_prefilter_never_drops_a_file_with_findings(tmp_path_factory, forward, helper, visit):
    code = _program(forward, helper, visit)
    tree = ast.parse(code)
    for codes in (ALL_CODES, {"ZL001"}, {"ZL005"}, {"ZL004"}, {"ZL006"}):
        if may_have_findings(tree, codes):
            continue
        result = _full_findings(tmp_path_factory.mktemp("p"), code)
        assert not result.internal_errors
        flagged = [f for f in result.findings if f.code in codes]
        assert flagged == [], f"pre-filter dropped a file with {flagged[0].code}:\n{code}"


def _all_examples(kind):
    for rule in analysis_rules():  # ZL000's examples are files that do not parse
        for number, example in enumerate(getattr(rule, kind), start=1):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{number}")


@pytest.mark.parametrize("rule,example", list(_all_examples("invalid")))
def test_every_invalid_example_passes_the_prefilter(rule, example):
    code = snippet(example.code)
    assert not quick_reject(code.encode())
    assert may_have_findings(ast.parse(code), {rule.code})


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
    assert not may_have_findings(ast.parse(plain), ALL_CODES - {"ZL006"})
    assert quick_reject(b"def helper():\n    return 1\n")


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
