"""Static types the index assigns to submodule attributes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from .modules import ClassSummary

CONTAINER_KINDS = ("ModuleList", "ModuleDict", "Sequential", "list", "dict", "tuple")


@dataclass(frozen=True)
class ModuleType:
    """An ``nn.Module`` instance; ``cls`` when its class is in the checked tree, else ``external``.

    ``certain`` is False for instances of classes the index cannot see (defined outside the checked
    tree or built by a factory); ``reason`` then says why.
    """

    cls: Optional[ClassSummary] = None
    external: Optional[str] = None
    certain: bool = True
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return self.cls is not None or (self.external is not None and self.certain)

    @property
    def label(self) -> Optional[str]:
        if self.cls is not None:
            return self.cls.name
        if self.external is not None:
            if self.external.startswith("torch."):
                return "|".join(part.rsplit(".", 1)[-1] for part in self.external.split("|"))
            return self.external
        return None


@dataclass(frozen=True)
class ContainerType:
    """A module container (``nn.ModuleList`` and friends, or a plain list/dict of modules)."""

    kind: str
    elem: Optional[ModuleType]

    @property
    def label(self) -> str:
        inner = self.elem.label if self.elem is not None and self.elem.label else "?"
        return f"{self.kind}[{inner}]"

    @property
    def resolved(self) -> bool:
        return True


SubType = Union[ModuleType, ContainerType]
