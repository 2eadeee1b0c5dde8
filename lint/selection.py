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
PARSE_ERROR_SUMMARY = "A file that cannot be read or parsed."
PARSE_ERROR_DOCS = """\
## What it does
Reports a file that zlint cannot read, decode or parse: a syntax error, an unknown or wrong
encoding, a file that is not Python although it is named `.py`, or one that cannot be opened.
The finding points at the line and column where parsing stopped.

It covers the files zlint reads. A file whose raw bytes show that no selected rule can find
anything in it (for zlint's own rules: no `forward` or `forward_*` method) is never decoded or
parsed, so its syntax is not checked. To check every file, pass `--check-syntax` or set
`check-syntax = true` in `[tool.zlint]`; selecting `ZL000` alone does the same. A file zlint
cannot read at all, or whose declared encoding it does not know, is always reported.

## Why is this bad?
No other rule can look into such a file, so whatever it holds goes unchecked. The run goes on
with the other files, and the exit code says that something was found.

## Fix
There is no automatic fix: correct the file, or exclude it (`exclude` in `[tool.zlint]`).
"""


def _expand(selector: str, rules: Sequence[Type["Rule"]], where: str) -> Set[str]:
    wanted = selector.strip().upper()
    if wanted == "ALL":
        return {rule.code for rule in rules} | {PARSE_ERROR_CODE}
    matched = {rule.code for rule in rules if rule.code.startswith(wanted)}
    if PARSE_ERROR_CODE.startswith(wanted):
        matched.add(PARSE_ERROR_CODE)
    if not matched:
        known = ", ".join([PARSE_ERROR_CODE] + [rule.code for rule in rules])
        raise ConfigError(f"unknown rule selector `{selector}` in {where} (known rules: {known})")
    return matched


def _origin(config: Config, key: str) -> str:
    """Where a setting came from, for error messages: the key and the file (when there is one)."""
    return f"`{key}` of {config.config_file}" if config.config_file is not None else f"`{key}`"


def selected_codes(config: Config, rules: Sequence[Type["Rule"]]) -> Set[str]:
    if config.select is None:
        codes = {rule.code for rule in rules if rule.default_enabled} | {PARSE_ERROR_CODE}
    else:
        codes = set()
        for selector in config.select:
            codes |= _expand(selector, rules, _origin(config, "select"))
    for selector in config.extend_select:
        codes |= _expand(selector, rules, _origin(config, "extend-select"))
    for selector in config.ignore:
        codes -= _expand(selector, rules, _origin(config, "ignore"))
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
            (pathspec.GitIgnoreSpec.from_lines([pattern]),
             set().union(*[_expand(c, rules, _origin(config, f'per-file-ignores."{pattern}"')) for c in codes]))
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
