"""One answer, shared by every rule, to "is this value a module?".

A chain such as ``self.emb.weight`` or ``self.mlp.fc_in.weight.dtype`` mixes modules with the
things modules hold. A link counts as a module when its class is known to be one, or when it is
*presumed* to be one: its class is out of sight (an installed base class, a factory result the
class calls) and nothing says otherwise. These say otherwise:

- the index knows the link is not a submodule (an attribute that ``__init__`` binds to something
  else, an attribute of a torch layer that holds no submodules);
- the attribute's name is one that modules use for tensors, parameters, dtypes, devices, shapes
  and configuration objects (``weight``, ``bias``, ``data``, ``dtype``, ``config``, ...).
"""

from __future__ import annotations

from typing import Iterable, Optional

from .findings import ChainLink

# Attributes that hold tensors, parameters, buffers or plain settings on torch modules and model
# libraries, never submodules.
NON_MODULE_ATTRIBUTES = frozenset(
    {
        "weight",
        "bias",
        "data",
        "grad",
        "dtype",
        "device",
        "shape",
        "config",
        "T",
        "mT",
        "running_mean",
        "running_var",
        "num_batches_tracked",
        "in_features",
        "out_features",
        "num_embeddings",
        "embedding_dim",
        "padding_idx",
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "groups",
        "eps",
        "normalized_shape",
        "training",
        "itemsize",
        "requires_grad",
        "is_cuda",
        "ndim",
        "state",
    }
)
# Attributes only tensors have: writing them on an object of unknown class is a tensor update.
TENSOR_ONLY_ATTRIBUTES = frozenset({"data", "grad", "requires_grad"})
# torch containers whose elements are parameters, not modules.
PARAMETER_CONTAINERS = frozenset({"ParameterDict", "ParameterList"})
NON_MODULE_SUFFIXES = ("_weight", "_bias", "_dtype", "_device", "_shape", "_config")


# Objects that model code calls like modules but that are not: tokenizers, processors, schedulers.
NON_MODULE_CALLABLES = ("tokenizer", "processor", "scheduler", "feature_extractor", "config", "detokenizer")


def callable_non_module(name: str) -> bool:
    """An attribute or factory named like a tokenizer, processor, scheduler or config: calling it
    is no evidence that it is a module (``self.tokenizer(text)``)."""
    lowered = name.lower()
    return any(part in lowered for part in NON_MODULE_CALLABLES)


def attribute_of(link: ChainLink) -> Optional[str]:
    """The attribute name a link reads (``.weight`` -> ``weight``), or None for other steps."""
    expression = link.expression
    if expression.startswith("self."):
        expression = expression[4:]
    if expression.startswith(".") and expression[1:].isidentifier():
        return expression[1:]
    return None


def named_like_a_non_module(name: Optional[str]) -> bool:
    return name is not None and (name in NON_MODULE_ATTRIBUTES or name.endswith(NON_MODULE_SUFFIXES))


def link_is_module(link: ChainLink, previous: Optional[ChainLink] = None) -> bool:
    """Whether one step of a chain is a module, known or reasonably presumed."""
    if previous is not None and link.expression == "[*]" and previous.class_name in PARAMETER_CONTAINERS:
        return False  # self.lora_A_params[name]: an element of a ParameterDict is a Parameter
    if link.resolved and link.class_name:
        return True
    if not link.maybe_module:
        return False
    return not named_like_a_non_module(attribute_of(link))


def chain_is_module(links: Iterable[ChainLink]) -> bool:
    """Whether the value at the end of a chain is a module (its last step decides)."""
    links = tuple(links)
    return bool(links) and link_is_module(links[-1], links[-2] if len(links) > 1 else None)


def tensor_write(owner_type, attr: Optional[str]) -> bool:
    """``x.data = t`` or ``x.grad = None`` where nothing says ``x`` is a module: a tensor update."""
    return owner_type is None and attr in TENSOR_ONLY_ATTRIBUTES


# What a getter's name says it returns: ``get_base_layer()``, ``get_decoder_block()``.
MODULE_GETTER_SUFFIXES = frozenset({"layer", "module", "model", "block", "submodule", "layers", "modules"})


def module_getter_name(name: str) -> bool:
    """A method name that says it returns a module (``get_base_layer``): called on a submodule
    whose class zlint cannot see, its result is presumed to be a module."""
    return name.startswith("get_") and name.rsplit("_", 1)[-1] in MODULE_GETTER_SUFFIXES


# Method names that say they change a module's state; zlint follows these methods of a submodule.
STATE_SETTER_PREFIXES = ("set_", "enable_", "disable_", "reset_", "toggle_", "switch_", "configure", "clear_")
STATE_SETTER_NAMES = frozenset({"merge", "unmerge"})


def submodule_method_may_write(name: str) -> bool:
    """Whether zlint follows a call of method ``name`` on a submodule (``layer.set_skip(v)``) into
    the submodule's class to find the writes it makes below it. Only methods named as state
    setters are followed: following every method call would analyse most classes of a library
    for a handful of setters (the runtime guard sees the others)."""
    bare = name.lstrip("_")
    return bare.startswith(STATE_SETTER_PREFIXES) or bare in STATE_SETTER_NAMES
