"""Unit tier for the forward walker (``zlint.forward``): what it records for one class, checked
field by field. Bindings and aliases carry a submodule's chain; loops over containers and
``modules()`` give their elements a provenance; writes, reads and calls land in the analysis
with that chain. No CLI and no rules; each test runs in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

from zlint.analysis_data import ClassAnalysis
from zlint.forward import analyse_class
from zlint.index import ProjectIndex
from zlint.roots import ImportRoots

HEADER = (
    "import torch.nn as nn\n"
    "class Attn(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n        self.flag = False\n"
    "    def forward(self, x):\n        return x * 2 if self.flag else x\n"
    "class Block(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n        self.attn = Attn()\n"
    "    def forward(self, x):\n        return self.attn(x)\n"
)


def _analyse(tmp_path: Path, body: str, cls: str = "Net") -> ClassAnalysis:
    (tmp_path / "pyproject.toml").write_text("[tool.zlint]\n")
    path = tmp_path / "model.py"
    path.write_text(HEADER + body)
    index = ProjectIndex(ImportRoots(tmp_path), analyse=analyse_class)
    summary = index.load(path)
    assert summary is not None
    return index.analysis(summary.classes[cls])


def _chain(links) -> str:
    return "".join(link.expression for link in links)


def _writes(analysis: ClassAnalysis):
    return [(_chain(w.owner.links), w.attr, w.form, w.owner.broadcast) for w in analysis.writes]


NET = (
    "class Net(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.block = Block()\n        self.blocks = nn.ModuleList([Block() for _ in range(2)])\n"
    "        self.named = nn.ModuleDict({'a': Block()})\n"
)


def test_a_direct_write_carries_its_resolved_chain(tmp_path):
    analysis = _analyse(
        tmp_path, NET + "    def forward(self, x):\n        self.block.attn.flag = True\n        return self.block(x)\n"
    )
    (write,) = analysis.writes
    assert (_chain(write.owner.links), write.attr, write.kind, write.form) == (
        "self.block.attn",
        "flag",
        "assign",
        "attribute",
    )
    assert [(link.expression, link.class_name) for link in write.owner.links] == [
        ("self.block", "Block"),
        (".attn", "Attn"),
    ]
    assert all(link.resolved for link in write.owner.links)
    assert write.method == "forward" and write.function.name.value == "forward"
    (call,) = analysis.calls
    assert _chain(call.callee.links) == "self.block"


def test_a_local_alias_of_a_submodule_keeps_the_chain(tmp_path):
    analysis = _analyse(
        tmp_path,
        NET + "    def forward(self, x):\n        b = self.block\n        a = b.attn\n"
        "        a.flag = True\n        return b(x)\n",
    )
    assert _writes(analysis) == [("self.block.attn", "flag", "attribute", False)]
    (call,) = analysis.calls
    assert _chain(call.callee.links) == "self.block"


def test_rebinding_a_name_to_something_else_drops_the_chain(tmp_path):
    analysis = _analyse(
        tmp_path,
        NET + "    def forward(self, x):\n        b = self.block\n        b = x\n"
        "        b.flag = True\n        return x\n",
    )
    assert analysis.writes == []


def test_a_write_on_self_is_a_self_write_not_a_submodule_write(tmp_path):
    analysis = _analyse(tmp_path, NET + "    def forward(self, x):\n        self.count = 1\n        return x\n")
    assert analysis.writes == []
    assert [w.attr for w in analysis.self_writes] == ["count"]


def test_loop_over_a_module_list_gives_each_element_its_provenance(tmp_path):
    analysis = _analyse(
        tmp_path,
        NET + "    def forward(self, x):\n        for blk in self.blocks:\n"
        "            blk.attn.flag = True\n            x = blk(x)\n        return x\n",
    )
    (write,) = analysis.writes
    assert _chain(write.owner.links) == "self.blocks[*].attn"
    assert [link.class_name for link in write.owner.links][-2:] == ["Block", "Attn"]
    assert not write.owner.broadcast


def test_enumerate_zip_and_reversed_keep_the_element(tmp_path):
    body = NET + (
        "    def forward(self, x):\n"
        "        for i, blk in enumerate(self.blocks):\n            blk.attn.flag = i\n"
        "        for blk, other in zip(self.blocks, self.blocks):\n            other.attn.flag = True\n"
        "        for blk in reversed(self.blocks):\n            blk.attn.flag = False\n"
        "        return x\n"
    )
    assert [chain for chain, *_ in _writes(_analyse(tmp_path, body))] == ["self.blocks[*].attn"] * 3


def test_module_dict_values_and_items_give_the_element(tmp_path):
    body = NET + (
        "    def forward(self, x):\n"
        "        for blk in self.named.values():\n            blk.attn.flag = True\n"
        "        for name, blk in self.named.items():\n            blk.attn.flag = False\n"
        "        return x\n"
    )
    writes = _writes(_analyse(tmp_path, body))
    assert len(writes) == 2 and all(chain.endswith("[*].attn") and attr == "flag" for chain, attr, _, _ in writes)


def test_iterating_modules_is_a_broadcast(tmp_path):
    analysis = _analyse(
        tmp_path,
        NET + "    def forward(self, x):\n        for m in self.modules():\n"
        "            m.flag = True\n        return x\n",
    )
    (write,) = analysis.writes
    assert write.owner.broadcast and write.attr == "flag"


def test_setattr_and_dict_forms_are_recorded_with_their_form(tmp_path):
    body = NET + (
        "    def forward(self, x):\n"
        "        setattr(self.block.attn, 'flag', True)\n"
        "        self.block.attn.__dict__['flag'] = True\n"
        "        setattr(self.block.attn, name_of(x), True)\n"
        "        return x\n"
    )
    writes = _writes(_analyse(tmp_path, body))
    assert writes == [
        ("self.block.attn", "flag", "setattr", False),
        ("self.block.attn", "flag", "__dict__", False),
        ("self.block.attn", None, "setattr", False),
    ]


def test_writes_in_helpers_reached_from_forward_count_and_others_do_not(tmp_path):
    body = NET + (
        "    def forward(self, x):\n        self._prepare()\n        return self.block(x)\n"
        "    def _prepare(self):\n        self.block.attn.flag = True\n"
        "    def reset(self):\n        self.block.attn.flag = False\n"
    )
    analysis = _analyse(tmp_path, body)
    assert [(w.method, w.attr) for w in analysis.writes] == [("_prepare", "flag")]
    assert "reset" not in analysis.forward_methods and "_prepare" in analysis.forward_methods


def test_a_submodule_passed_to_a_helper_keeps_its_chain(tmp_path):
    body = NET + (
        "    def forward(self, x):\n        self._set(self.block)\n        return self.block(x)\n"
        "    def _set(self, blk):\n        blk.attn.flag = True\n"
    )
    assert _writes(_analyse(tmp_path, body)) == [("self.block.attn", "flag", "attribute", False)]


def test_reads_of_submodule_attributes_are_recorded(tmp_path):
    analysis = _analyse(
        tmp_path,
        NET + "    def forward(self, x):\n        if self.block.attn.flag:\n"
        "            return x\n        return self.block(x)\n",
    )
    assert ("flag", "self.block.attn.flag") in {(r.node.attr.value, _chain(r.value.links)) for r in analysis.reads}


def test_set_call_restore_is_a_toggle(tmp_path):
    analysis = _analyse(
        tmp_path,
        NET + "    def forward(self, x):\n        self.block.attn.flag = True\n"
        "        y = self.block(x)\n        self.block.attn.flag = False\n"
        "        return y\n",
    )
    (toggle,) = analysis.toggles
    assert toggle.first.attr == toggle.restore.attr == "flag"
    assert _chain(toggle.call.callee.links) == "self.block"
    assert analysis.toggle_writes() == {id(toggle.first), id(toggle.restore)}


def test_a_class_that_is_not_a_module_is_not_walked(tmp_path):
    analysis = _analyse(
        tmp_path, "class Plain:\n    def forward(self, x):\n        self.block.attn.flag = True\n", cls="Plain"
    )
    assert analysis.writes == [] and analysis.forward_methods == []
