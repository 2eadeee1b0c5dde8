"""Which settings apply to which file: the nearest pyproject.toml with [tool.zlint] above each
checked path (as Ruff looks its configuration up per file), with the command line's options and
``--config KEY=VALUE`` overrides laid over every one of them.

``zlint check a/ b/`` in a monorepo where a/ and b/ carry their own [tool.zlint] checks each
file under its own project's settings, whatever the order of the paths.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .config import (
    Config,
    ConfigError,
    apply_overrides,
    apply_table,
    find_project_root,
    has_zlint_table,
    load_config_file,
    parse_target_version,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on older interpreters
    import tomli as tomllib


@dataclass
class Overrides:
    """What the command line lays over every configuration file's settings."""

    select: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()
    inline: List[dict] = field(default_factory=list)  # --config KEY=VALUE tables, in order
    force_exclude: Optional[bool] = None
    target_version: Optional[Tuple[int, int]] = None

    def apply(self, config: Config) -> Config:
        for table in self.inline:
            config = apply_table(config, table, "--config option", Path.cwd())
        config = apply_overrides(config, self.select, self.extend_select, self.ignore, self.exclude)
        if self.force_exclude is not None:
            config = replace(config, force_exclude=self.force_exclude)
        if self.target_version is not None:
            config = replace(config, target_version=self.target_version)
        return config


def split_config_options(values: Sequence[str]) -> Tuple[Optional[Path], List[dict]]:
    """``--config`` values: a path to a configuration file (at most one), or ``KEY = VALUE``
    TOML written inline (``--config "select = ['ZL001']"``), as Ruff's ``--config`` takes both."""
    explicit: Optional[Path] = None
    inline: List[dict] = []
    for value in values:
        path = Path(value)
        if path.is_file() or ("=" not in value):
            if explicit is not None:
                raise ConfigError(f"--config names two configuration files: {explicit} and {value}")
            explicit = path
            continue
        try:
            table = tomllib.loads(value)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"--config {value!r} is neither a file nor valid TOML `KEY = VALUE`: {exc}") from None
        inline.append(table)
    return explicit, inline


def cli_target_version(value: Optional[str]) -> Optional[Tuple[int, int]]:
    return None if value is None else parse_target_version(value, "--target-version")


class Settings:
    """Settings per directory, looked up once per folder and shared by every file in it."""

    def __init__(
        self,
        overrides: Optional[Overrides] = None,
        explicit: Optional[Path] = None,
        default_start: Optional[Path] = None,
    ):
        self.overrides = overrides or Overrides()
        # Files under no [tool.zlint] share one default configuration, rooted where the first
        # path's project is (the nearest pyproject.toml or .git above it).
        self._default_start = default_start
        self._explicit: Optional[Config] = None
        if explicit is not None:
            if not explicit.is_file():
                raise ConfigError(f"config file not found: {explicit}")
            self._explicit = self.overrides.apply(load_config_file(explicit))
        self._by_dir: Dict[str, Config] = {}
        self._defaults: Dict[Path, Config] = {}

    @classmethod
    def fixed(cls, config: Config) -> "Settings":
        """One configuration for every file (the library API of ``check_paths(paths, config)``)."""
        settings = cls()
        settings._explicit = config
        return settings

    def for_directory(self, directory: Path) -> Config:
        if self._explicit is not None:
            return self._explicit
        key = os.path.abspath(directory)
        found = self._by_dir.get(key)
        if found is not None:
            return found
        chain = []
        current = key
        config = None
        while True:
            cached = self._by_dir.get(current)
            if cached is not None:
                config = cached
                break
            chain.append(current)
            candidate = Path(current) / "pyproject.toml"
            if has_zlint_table(candidate):
                config = self.overrides.apply(load_config_file(candidate))
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        if config is None:
            config = self._default(Path(key))
        for directory_key in chain:
            self._by_dir[directory_key] = config
        return config

    def for_file(self, path: Path) -> Config:
        absolute = os.path.abspath(path)
        return self.for_directory(Path(absolute if os.path.isdir(absolute) else os.path.dirname(absolute)))

    def _default(self, directory: Path) -> Config:
        root = find_project_root(self._default_start if self._default_start is not None else directory)
        if root not in self._defaults:
            self._defaults[root] = self.overrides.apply(Config(project_root=root))
        return self._defaults[root]

    def all_configs(self) -> List[Config]:
        seen: Dict[int, Config] = {}
        for config in [self._explicit] if self._explicit is not None else list(self._by_dir.values()):
            seen.setdefault(id(config), config)
        for config in self._defaults.values():
            seen.setdefault(id(config), config)
        return list(seen.values())


def describe(config: Config) -> List[str]:
    """``--show-settings``: the resolved settings, one ``key = value`` line each."""

    def show(value):
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(show(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r} = {show(v)}" for k, v in value.items()) + "}"
        return repr(value)

    target = config.target_version
    rows = [
        ("config-file", config.config_file if config.config_file is not None else "(none: defaults)"),
        ("project-root", config.project_root),
        ("select", config.select if config.select is not None else "(default rules)"),
        ("extend-select", config.extend_select),
        ("ignore", config.ignore),
        ("exclude", config.exclude),
        ("extend-exclude", config.extend_exclude),
        ("force-exclude", config.force_exclude),
        ("per-file-ignores", config.per_file_ignores),
        ("respect-gitignore", config.respect_gitignore),
        ("src", config.src),
        (
            "target-version",
            f"{target[0]}.{target[1]}"
            if target
            else f"(this interpreter: {sys.version_info[0]}.{sys.version_info[1]})",
        ),
        ("cache-dir", config.cache_dir),
        ("check-syntax", config.check_syntax),
        ("fix.parameter-template", config.parameter_template),
    ]
    return [
        f"{key} = {value if isinstance(value, str) and value.startswith('(') else show(value)}" for key, value in rows
    ]
