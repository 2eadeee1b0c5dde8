"""The zlint rule set: every module here named ``zlNNN_<name>.py`` holds one ``Rule`` subclass.

Adding a rule is adding a file (``python -m zlint.dev new-rule`` writes one from the template)
and its docs page: the registry below finds it, selection, ``zlint rules``, ``zlint explain``,
SARIF, the editor and the pre-filter all read what the rule class declares.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Dict, List, Type

from zlint.rule import Rule, analysed_by

RULE_MODULE = re.compile(r"^zl\d{3}_[a-z0-9_]+$")


class RegistryError(Exception):
    """A rule module that breaks the registry's contract (a bug in zlint, not in user code)."""


def _discover() -> List[Type[Rule]]:
    found: Dict[str, Type[Rule]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if not RULE_MODULE.match(info.name):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        classes = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Rule)
            and value is not Rule
            and value.__module__ == module.__name__
        ]
        if len(classes) != 1:
            raise RegistryError(f"{module.__name__} must define exactly one Rule subclass, found {len(classes)}")
        rule = classes[0]
        expected = info.name[:5].upper()
        if getattr(rule, "code", None) != expected:
            raise RegistryError(
                f"{module.__name__}: the rule's code must be {expected} (from the file name), "
                f"got {getattr(rule, 'code', None)!r}"
            )
        if rule.code in found:
            raise RegistryError(f"two rules claim {rule.code}: {found[rule.code].__module__} and {module.__name__}")
        found[rule.code] = rule
    return [found[code] for code in sorted(found)]


ALL_RULES: List[Type[Rule]] = _discover()
RULES_BY_CODE: Dict[str, Type[Rule]] = {rule.code: rule for rule in ALL_RULES}
RULES_BY_NAME: Dict[str, Type[Rule]] = {rule.name: rule for rule in ALL_RULES}


def lookup(code_or_name: str):
    return RULES_BY_CODE.get(code_or_name.upper()) or RULES_BY_NAME.get(code_or_name)


def analysis_rules() -> List[Type[Rule]]:
    """The rules that look at analysed classes (all but those the runner reports as it reads)."""
    return analysed_by(ALL_RULES)
