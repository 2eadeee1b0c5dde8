"""ZL001: forward-time attribute writes on nested submodules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from zlint.findings import Finding
from zlint.indirect import indirect_finding, written_object
from zlint.rule import FORWARD_METHOD, WRITE_TEXT, Invalid, Needs, Rule, Valid

if TYPE_CHECKING:
    from zlint.context import FileContext

_KIND_VERB = {"assign": "sets", "augassign": "updates", "annassign": "sets", "delete": "deletes"}


class SubmoduleStateMutationInForward(Rule):
    """Forward-time write to an attribute of a submodule, or of anything reached through one.

    ## What it does
    Flags attribute assignments (`=`, `+=` and the other augmented forms, annotated assignments)
    and `del` statements that run during `forward` (in `forward` itself, in functions nested in it,
    and in methods of the same class that `forward` reaches through `self.method(...)`) and whose
    target belongs to a submodule of the module: `self.block.flag = v`, `layer.attention.attn.flag
    = v` inside `for layer in self.layers`, `self.layers[i].flag = v`, aliases such as
    `attn = layer.attention.attn; attn.flag = v`, and loop variables over `ModuleList`,
    `ModuleDict` and `Sequential` containers. zlint resolves the classes along the chain across
    files and shows them. An attribute built by a factory (`self.backbone = build_backbone(cfg)`)
    counts as a submodule of unknown class when the class calls or iterates it; the message then
    says which link could not be resolved. Writes that forward makes through code it calls are
    reported where it calls it: a state-setter method of a submodule's class (`layer.set_skip(v)`
    where `Block.set_skip` sets `self.attention.attn.skip`; methods named `set_*`, `enable_*`,
    `disable_*`, `reset_*`, `toggle_*`, `switch_*`, `configure*`, `clear_*`, `merge`, `unmerge`)
    and a property setter of the module (`self.skip = v`); these have no fix. A local function or
    lambda given a submodule, and an override that an inherited `forward` calls, are walked like
    forward itself. The same write made with `setattr` is ZL002, made on every module of a
    `self.modules()` loop is ZL003, and set-then-restored around a call is ZL004.

    ## Why is this bad?
    The parent reaches past its child's interface and changes state that the child reads later.
    That is action at a distance, and it breaks as soon as anything stands between the parent and
    the block: a caching wrapper (the block is wrapped, so `layer.attention` no longer exists and
    the write raises `AttributeError`), FSDP or forward hooks, `torch.compile` (the write becomes
    a guard and a recompilation), activation checkpointing (the recomputation sees a later value),
    and concurrent requests sharing one module instance.

    ## Example
    ```python
    class ZImageModel(nn.Module):
        def forward(self, x, use_full_unified_sequence):
            for layer in self.layers:
                layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence
                x = layer(x)
            return x
    ```

    Use instead:
    ```python
    class ZImageModel(nn.Module):
        def forward(self, x, use_full_unified_sequence):
            for layer in self.layers:
                x = layer(x, skip_sequence_parallel_override=use_full_unified_sequence)
            return x
    ```
    and let each forward on the path take `skip_sequence_parallel_override=None` and pass it on,
    with the leaf reading the argument when it is given instead of its attribute.

    ## Fix
    `zlint fix` threads the value as a keyword argument through every forward on the call path
    from the parent down to the owner of the attribute, across classes and files. Writes that are
    not followed by a call of the block, or whose classes cannot be resolved, are reported
    without a fix and say why.

    ## Not flagged
    The same writes in `__init__` or in methods that `forward` does not reach (`load_weights`,
    `set_*`, `enable_*`); `self.attr = v` on the module itself; attributes of plain local objects;
    in-place tensor updates such as `layer.cache[...] = t` or `layer.buf.copy_(t)`; classes that
    are not modules.
    """

    code = "ZL001"
    name = "submodule-state-mutation-in-forward"
    # A write through a submodule (a value derived from self), in forward or what it reaches.
    needs = Needs(text=((FORWARD_METHOD,), WRITE_TEXT), writes=True)
    fixable = True
    claims = frozenset({"attribute"})

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        for analysis in ctx.analyses:
            for write in analysis.writes_of(self.claims):
                owner_text = ctx.code(write.target.value)  # type: ignore[attr-defined]  # kind "attribute"
                owner_class = write.owner.links[-1].class_name if write.owner.links else None
                where = f" ({owner_class}.{write.attr})" if owner_class else ""
                verb = _KIND_VERB[write.kind]
                message = (
                    f"`{analysis.cls.name}.{write.method}` {verb} `{write.attr}` on submodule "
                    f"`{owner_text}`{where} at forward time"
                )
                yield ctx.write_finding(self, analysis, write, message, fix=ctx.planner.plan(analysis.cls, write))
            for indirect in analysis.indirect_writes_of(self.claims):
                owner_text = written_object(ctx, indirect)
                yield indirect_finding(
                    ctx, self, analysis, indirect, f"sets `{indirect.attr}` on submodule `{owner_text}`"
                )

    invalid = (
        Invalid(
            """
            import torch.nn as nn

            class USPAttention(nn.Module):
                def forward(self, x):
                    return x

            class Attention(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attn = USPAttention()

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attention = Attention()

                def set_skip(self, value):
                    self._set(value)

                def _set(self, value):
                    self.attention.attn.skip_sequence_parallel = value

                def forward(self, x):
                    return self.attention(x)

            class Model(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.layers = nn.ModuleList([Block() for _ in range(n)])

                def forward(self, x, full):
                    for layer in self.layers:
                        # A setter method of the block that writes below it: reported here.
                        layer.set_skip(full)  # expect: ZL001
                        x = layer(x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Inner(nn.Module):
                def forward(self, x):
                    return x

            class Base(nn.Module):
                def __init__(self):
                    super().__init__()
                    self._inner = Inner()

                @property
                def skip(self):
                    return self._inner.skip

                @skip.setter
                def skip(self, value):
                    self._inner.skip = value

            class Block(Base):
                # A property setter (here of a base class) that writes submodule state.
                def forward(self, x, flag):
                    self.skip = flag  # expect: ZL001
                    return self._inner(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Inner(nn.Module):
                def forward(self, x):
                    return x

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self._inner = Inner()

                @property
                def inner(self) -> Inner:
                    return self._inner

                def forward(self, x, flag):
                    self.inner.mode = flag  # expect: ZL001
                    return self._inner(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Base(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.inner = nn.Linear(4, 4)

                def unmerge(self):
                    pass

                def forward(self, x, disabled):
                    if disabled:
                        self.unmerge()
                    return self.inner(x)

            class Quantized(Base):
                # No forward of its own: the inherited one calls this override.
                def unmerge(self):
                    del self.inner.weight  # expect: ZL001
                    self.inner.weight = self.inner.weight_fp  # expect: ZL001
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class LoraMultiheadAttention(nn.Module):
                def __init__(self, base_layer: nn.MultiheadAttention):
                    super().__init__()
                    self.base_layer = base_layer

                def get_base_layer(self) -> nn.MultiheadAttention:
                    return self.base_layer

                def forward(self, query, merged):
                    base_layer = self.get_base_layer()
                    # A getter called on a submodule whose class is out of sight.
                    del base_layer.out_proj.get_base_layer().weight  # expect: ZL001
                    base_layer.out_proj.get_base_layer().weight = merged  # expect: ZL001
                    return base_layer(query, query, query)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    def configure(module, value):
                        module.flag = value  # expect: ZL001

                    configure(self.block, flag)
                    return self.block(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Inner(nn.Module):
                def forward(self, x):
                    return x

            class Base(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.inner = Inner()
                    self.add_module("extra", Inner())
                    self.register_module("other", Inner())

            class Child(Base):
                # Submodules bound in a base class's __init__, by assignment or by name.
                def forward(self, x, flag):
                    self.inner.flag = flag  # expect: ZL001
                    self.extra.flag = flag  # expect: ZL001
                    self.other.flag = flag  # expect: ZL001
                    if (blk := self.inner) is not None:
                        blk.flag = flag  # expect: ZL001
                    return self.inner(x)
            """
        ),
        Invalid(
            """
            import itertools
            import torch.nn as nn

            class CustomOp(nn.Module):
                def __init__(self):
                    super().__init__()
                    self._forward_method = self.forward_native

                def forward(self, *args):
                    return self._forward_method(*args)

            class RMSNorm(CustomOp):
                def __init__(self, inner: nn.Linear):
                    super().__init__()
                    self.inner = inner

                # No forward of its own: the inherited one dispatches to these.
                def forward_native(self, x, eps):
                    self.inner.eps = eps  # expect: ZL001
                    return self.inner(x)

                def forward_cuda(self, x, eps):
                    return self.forward_native(x, eps)

            class Gate(nn.Module):
                def __init__(self, inner: nn.Linear):
                    super().__init__()
                    self.inner = inner
                    self._forward_method = self.forward_cuda

                def forward(self, x, scale):
                    return self._forward_method(x, scale)

                def forward_cuda(self, x, scale):
                    self.inner.scale = scale  # expect: ZL001
                    return self.inner(x)

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.down = nn.ModuleList([nn.Linear(4, 4)])
                    self.up = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x, flag):
                    for block in itertools.chain(self.down, self.up):
                        block.use_cache = flag  # expect: ZL001
                        x = block(x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class BaseTunerLayer:
                def get_base_layer(self) -> nn.Module:
                    return self.base_layer

            class LoraLinear(nn.Module, BaseTunerLayer):
                def __init__(self, base_layer: nn.Linear):
                    super().__init__()
                    self.base_layer = base_layer

                def forward(self, x, merged):
                    # A submodule returned by a method (here of a mixin base class).
                    self.get_base_layer().weight = merged  # expect: ZL001
                    return self.base_layer(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Attention(nn.Module):
                def __init__(self, rotary_emb, layer_id):
                    super().__init__()
                    # A module handed to __init__ and shared by every layer, unannotated.
                    self.rotary_emb = rotary_emb
                    self.layer_id = layer_id

                def _rope(self):
                    return self.rotary_emb

                def forward(self, positions, q, cache):
                    if self.layer_id == 0:
                        self.rotary_emb.cos_sin_cache = cache  # expect: ZL001
                        self._rope().offsets = positions  # expect: ZL001
                    return self.rotary_emb(positions, q)
            """
        ),
        Invalid(
            """
            import torch.nn as nn
            from vendor.factory import build_backbone

            class Model(nn.Module):
                def __init__(self, config):
                    super().__init__()
                    self.backbone = build_backbone(config)

                def forward(self, x, layers):
                    self.backbone.encoder.return_layers = layers  # expect: ZL001
                    return self.backbone(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class USPAttention(nn.Module):
                def forward(self, x):
                    return x

            class Attention(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attn = USPAttention()

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attention = Attention()

            class Model(nn.Module):
                def __init__(self, n):
                    super().__init__()
                    self.layers = nn.ModuleList([Block() for _ in range(n)])

                def forward(self, x, full):
                    for layer in self.layers:
                        layer.attention.attn.skip_sequence_parallel = full  # expect: ZL001
                        x = layer(x)
                    return x
            """
        ),
        Invalid(
            """
            from torch import nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    self.block.flag = True  # expect: ZL001
                    self.block.calls += 1  # expect: ZL001
                    self.block.mode: str = "fast"  # expect: ZL001
                    del self.block.cached  # expect: ZL001
                    return self.block(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

                def forward(self, x, flag):
                    for i, layer in enumerate(self.layers):
                        layer.use_cache = flag  # expect: ZL001
                        x = layer(x)
                    for layer in reversed(self.layers):
                        layer.use_cache = flag  # expect: ZL001
                    for layer in self.layers[1:]:
                        layer.use_cache = flag  # expect: ZL001
                    for i in range(len(self.layers)):
                        self.layers[i].use_cache = flag  # expect: ZL001
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.encoders = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
                    self.decoders = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

                def forward(self, x):
                    for enc, dec in zip(self.encoders, self.decoders):
                        dec.source = enc  # expect: ZL001
                        x = dec(enc(x))
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.heads = nn.ModuleDict({"a": nn.Linear(4, 4), "b": nn.Linear(4, 4)})

                def forward(self, x, scale):
                    for head in self.heads.values():
                        head.scale = scale  # expect: ZL001
                    for name, head in self.heads.items():
                        head.tag = name  # expect: ZL001
                    self.heads["a"].scale = 2.0  # expect: ZL001
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Attention(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attn = nn.Identity()

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attention = Attention()

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([Block(), Block()])

                def forward(self, x, full):
                    for layer in self.layers:
                        attn = layer.attention.attn
                        attn.skip = full  # expect: ZL001
                        x = layer(x)
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    def configure():
                        self.block.flag = flag  # expect: ZL001

                    configure()
                    return self.block(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    self._prepare(flag)
                    return self.block(x)

                def _prepare(self, flag):
                    self._really_prepare(flag)

                def _really_prepare(self, flag):
                    self.block.flag = flag  # expect: ZL001
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

                def forward(self, x, flag):
                    for layer in self.layers:
                        x = self._run(layer, x, flag)
                    return x

                def _run(self, layer, x, flag):
                    layer.flag = flag  # expect: ZL001
                    return layer(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Block(nn.Module):
                pass

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.net = nn.Sequential(Block(), Block())
                    blocks = []
                    for _ in range(2):
                        blocks.append(Block())
                    self.blocks = nn.ModuleList(blocks)

                def forward(self, x):
                    self.net[0].active = False  # expect: ZL001
                    self.blocks[-1].active = False  # expect: ZL001
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn
            from somelib.attention import Attention

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attn = Attention()

                def forward(self, x):
                    self.attn.processor.mode = "fast"  # expect: ZL001
                    return self.attn(x)
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a = nn.Linear(4, 4)
                    self.b = nn.Linear(4, 4)

                def forward(self, x):
                    self.a.flag, self.b.flag = True, False  # expect: ZL001
                    getattr(self, "a").other = 1  # expect: ZL001
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Base(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.norm = nn.LayerNorm(4)

            class Model(Base):
                def forward(self, x, eps):
                    self.norm.eps = eps  # expect: ZL001
                    return self.norm(x)
            """
        ),
        Invalid(
            """
            import contextlib
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    with contextlib.suppress(AttributeError):
                        self.block.flag = flag  # expect: ZL001
                    if flag:
                        blk = self.block
                    else:
                        blk = None
                    blk.flag = flag  # expect: ZL001
                    try:
                        self.block.mode = x  # expect: ZL001
                    finally:
                        pass
                    return x
            """
        ),
        Invalid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self, block: nn.Module):
                    super().__init__()
                    self.inner = block

                def forward(self, x):
                    self.inner.calls = 0  # expect: ZL001
                    return self.inner(x)
            """
        ),
    )

    valid = (
        Valid(
            """
            import torch.nn as nn

            def put(module, value):
                return module

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x, flag):
                    def put(module, value):  # never called here
                        module.flag = value

                    x = self._rest(x, flag)
                    return self.block(x)

                def _rest(self, x, flag):
                    put(self.block, flag)  # the module-level put, which writes nothing
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Inner(nn.Module):
                def forward(self, x):
                    return x

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.inner = Inner()
                    self._scale = 1.0

                @property
                def scale(self):
                    return self._scale

                @scale.setter
                def scale(self, value):
                    self._scale = value  # the block's own state, through its own interface

                def set_skip(self, value):
                    self.inner.skip = value

                def describe(self):
                    return self.inner.get_config()

                def forward(self, x):
                    return self.inner(x) * self._scale

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = Block()

                def configure(self, skip):
                    self.block.set_skip(skip)  # not at forward time

                def forward(self, x, scale):
                    self.block.describe()
                    self.scale = scale
                    return self.block(x)

            class Quiet(Block):
                def set_skip(self, value):  # the inherited forward never calls it
                    self.inner.skip = not value
            """
        ),
        Valid(
            """
            import torch.nn as nn
            from transformers import AutoTokenizer

            class Captioner(nn.Module):
                def __init__(self, path, processor, step):
                    super().__init__()
                    # Called like modules, but a tokenizer and a processor are not modules.
                    self.tokenizer = AutoTokenizer.from_pretrained(path)
                    self.processor = processor
                    self.step = step

                def forward(self, text, image):
                    self.tokenizer.padding_side = "left"
                    self.processor.size = 224
                    self.step.count = 0  # handed to __init__ but never called: not a module
                    return self.tokenizer(text), self.processor(image)
            """
        ),
        Valid(
            """
            import torch
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.emb = nn.Embedding(10, 4)
                    self.lora_A = nn.ModuleDict({"default": nn.Linear(4, 2)})
                    self.scales = nn.ParameterDict({"default": nn.Parameter(torch.ones(1))})

                def forward(self, x, w, name):
                    # Rebinding a tensor's data through a child is a parameter update, like
                    # self.emb.weight.copy_(w): the tensor is not a submodule.
                    self.emb.weight.data = w
                    self.lora_A[name].weight.data = w
                    self.lora_A[name].bias.requires_grad = False
                    setattr(self.emb.weight, "data", w)
                    # Entries of a ParameterDict are parameters; `data` is a tensor's alone.
                    self.scales[name].data = w
                    state = self.lora_A[name].state
                    state.SCB = None
                    return self.emb(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn
            from vendor.layers import FancyLinear

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.proj = FancyLinear(4, 4)

                def forward(self, x, w):
                    # `weight` of a layer zlint cannot see is still a parameter by its name.
                    self.proj.weight.data = w
                    self.proj.config.dropout = 0.0
                    return self.proj(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn
            from vendor.factory import build_backbone, make_config

            class Model(nn.Module):
                def __init__(self, config):
                    super().__init__()
                    self.backbone = build_backbone(config)
                    self.settings = make_config(config)

                def forward(self, x, layers):
                    # Built by a factory but never called or iterated: not known to be a module.
                    self.settings.layers = layers
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, flag):
                    for m in self.modules():
                        m.flag = flag
                    for name, m in self.named_modules():
                        m.name_seen = name
                    for child in self.children():
                        child.flag = flag
                    for name, child in self.named_children():
                        child.flag = flag
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)
                    self.block.flag = False
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)
                    self._configure()

                def _configure(self):
                    self.block.flag = False

                def forward(self, x):
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def load_weights(self, weights):
                    for layer in self.layers:
                        layer.loaded = True

                def set_skip_sequence_parallel(self, value):
                    for layer in self.layers:
                        layer.skip_sequence_parallel = value

                def enable_cache(self):
                    self.layers[0].use_cache = True

                def forward(self, x):
                    for layer in self.layers:
                        x = layer(x)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    self.calls = 0
                    self.calls += 1
                    self.last_input: object = x
                    del self.last_input
                    return x
            """
        ),
        Valid(
            """
            import types
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x):
                    state = types.SimpleNamespace()
                    state.step = 1
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x):
                    for layer in self.layers:
                        layer.cache[...] = x
                        layer.buf.copy_(x)
                        layer.weight.data.mul_(0.5)
                    return x
            """
        ),
        Valid(
            """
            class Runner:
                def __init__(self, block):
                    self.block = block

                def forward(self, x):
                    self.block.flag = True
                    return x
            """
        ),
        Valid(
            """
            import dataclasses

            @dataclasses.dataclass
            class Settings:
                flag: bool = False

            class Plain(object):
                def __init__(self):
                    self.settings = Settings()

                def forward(self):
                    self.settings.flag = True
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    if self.block.flag:
                        return self.block(x)
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x):
                    skip = self.layers[0].attention.attn.skip
                    return x if skip else -x
            """
        ),
        Valid(
            """
            import types
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    m = self.block
                    m = types.SimpleNamespace()
                    m.flag = True
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, others):
                    for layer in others:
                        layer.flag = True
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def forward(self, x, state):
                    state.step = 1
                    state.history.last = x
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Config:
                pass

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.config = Config()

                def forward(self, x):
                    self.config.last_shape = x.shape
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x):
                    self.layers[0] = nn.Identity()
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    return self.block(x)

                def forward_with_flag(self, x, flag):
                    self.block.flag = flag
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                @staticmethod
                def reset(model):
                    model.block.flag = False

                @classmethod
                def build(cls):
                    inst = cls()
                    inst.block.flag = True
                    return inst
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    out = self.block(x)
                    out.tag = "block"
                    return out
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.register_buffer("steps", None)

                def forward(self, x):
                    self.steps.add_(1)
                    return x
            """
        ),
        Valid(
            """
            def patch(model, flag):
                for layer in model.layers:
                    layer.attention.attn.skip = flag
                model.layers[0].flag = flag
            """
        ),
        Valid(
            """
            import torch.nn as nn

            REGISTRY = {}

            class Model(nn.Module):
                def forward(self, x):
                    REGISTRY["model"] = self
                    GLOBAL_STATE.flag = True
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    h, w = x.shape
                    h.flag = 1
                    block = self.block
                    del block
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    self.block = nn.Identity()
                    self.layers = nn.ModuleList()
                    return super().forward(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn
            from somelib import make_helper

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.helper = make_helper()
                    self.opts = SomeExternalOptions()

                def forward(self, x):
                    self.helper.count = 1
                    self.opts.flag = True
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                layers_seen = 0

                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)

                def forward(self, x):
                    type(self).layers_seen += 1
                    Model.layers_seen = 2
                    return self.block(x)
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = nn.ModuleList([nn.Linear(4, 4)])

                def forward(self, x):
                    for layer in self.layers:
                        pass
                    layer = object()
                    layer.flag = True
                    return x
            """
        ),
        Valid(
            """
            import torch.nn as nn

            class Model(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.block = nn.Linear(4, 4)
                    self.block.flag = True  # zlint: ignore[ZL001]

                def forward(self, x):
                    self.block.flag = True  # zlint: ignore[ZL001]
                    self.block.other = 1  # noqa: ZL001
                    self.block.third = 2  # zlint: ignore
                    return x
            """
        ),
    )
