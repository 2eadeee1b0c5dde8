"""Turning ``select`` / ``ignore`` / ``per-file-ignores`` into the rule set for each file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence, Set, Type

if TYPE_CHECKING:  # the rule machinery imports LibCST, which a cached run never needs
    from .rule import Rule

import pathspec

from .config import Config, ConfigError

PARSE_ERROR_CODE = "ZL000"
PARSE_ERROR_NAME = "parse-error"


def expand_selector(selector: str, rules: Sequence[Type["Rule"]], where: str) -> Set[str]:
    wanted = selector.strip().upper()
    codes = {rule.code for rule in rules} | {PARSE_ERROR_CODE}  # ZL000: whoever reads files reports it
    if wanted == "ALL":
        return codes
    matched = {code for code in codes if code.startswith(wanted)}
    if not matched:
        known = ", ".join(sorted(codes))
        raise ConfigError(f"unknown rule selector `{selector}` in {where} (known rules: {known})")
    return matched


def _origin(config: Config, key: str) -> str:
    """Where a setting came from, for error messages: the key and the file (when there is one)."""
    return f"`{key}` of {config.config_file}" if config.config_file is not None else f"`{key}`"


def selected_codes(config: Config, rules: Sequence[Type["Rule"]]) -> Set[str]:
    if config.select is None:
        codes = {rule.code for rule in rules if rule.default_enabled} | {PARSE_ERROR_CODE}  # as above
    else:
        codes = set()
        for selector in config.select:
            codes |= expand_selector(selector, rules, _origin(config, "select"))
    for selector in config.extend_select:
        codes |= expand_selector(selector, rules, _origin(config, "extend-select"))
    for selector in config.ignore:
        codes -= expand_selector(selector, rules, _origin(config, "ignore"))
    return codes


def validate_selection(config: Config, rules: Sequence[Type["Rule"]]) -> Set[str]:
    """Every rule setting checked at once, before any file is read or any worker starts: the
    selected codes (a typo anywhere raises ConfigError naming the key, the value and the file)."""
    PerFileIgnores(config, rules)
    return selected_codes(config, rules)


class PerFileIgnores:
    def __init__(self, config: Config, rules: Sequence[Type["Rule"]]):
        self.root = config.project_root
        self.entries = [
            (
                pathspec.GitIgnoreSpec.from_lines([pattern]),
                set().union(
                    *[expand_selector(c, rules, _origin(config, f'per-file-ignores."{pattern}"')) for c in codes]
                ),
            )
            for pattern, codes in config.per_file_ignores.items()
        ]

    def ignored_codes(self, path: Path) -> Set[str]:
        if not self.entries:
            return set()
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            rel = path.as_posix()
        ignored: Set[str] = set()
        for spec, codes in self.entries:
            if spec.match_file(rel) or spec.match_file(path.name):
                ignored |= codes
        return ignored
