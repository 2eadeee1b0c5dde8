"""The zlint rule set. Each rule is one module holding one ``Rule`` subclass."""

from __future__ import annotations

from typing import Dict, List, Type

from zlint.rule import Rule

from .zl001_submodule_state_mutation import SubmoduleStateMutationInForward
from .zl002_setattr_on_submodule import SetattrOnSubmoduleInForward
from .zl003_broadcast_mutation import BroadcastMutationInForward
from .zl004_toggle_submodule_state import ToggleSubmoduleState
from .zl005_wrapper_fragile_access import WrapperFragileSubmoduleAccess
from .zl006_self_state_mutation import SelfStateMutationInForward
from .zl007_block_attribute_read import BlockAttributeReadInLoop

ALL_RULES: List[Type[Rule]] = [
    SubmoduleStateMutationInForward,
    SetattrOnSubmoduleInForward,
    BroadcastMutationInForward,
    ToggleSubmoduleState,
    WrapperFragileSubmoduleAccess,
    SelfStateMutationInForward,
    BlockAttributeReadInLoop,
]

RULES_BY_CODE: Dict[str, Type[Rule]] = {rule.code: rule for rule in ALL_RULES}
RULES_BY_NAME: Dict[str, Type[Rule]] = {rule.name: rule for rule in ALL_RULES}


def lookup(code_or_name: str):
    return RULES_BY_CODE.get(code_or_name.upper()) or RULES_BY_NAME.get(code_or_name)
