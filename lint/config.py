"""``[tool.zlint]`` in pyproject.toml: discovery, validation and defaults."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on older interpreters
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration problem the user must fix; exit code 2."""


DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".zlint_cache",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

DEFAULT_PARAMETER_TEMPLATE = "{attr}_override"


@dataclass(frozen=True)
class Config:
    """Settings after merging pyproject.toml with command-line options. Frozen: a run's settings
    are built once (``zlint.api.load_settings``) and never change while files are checked; a
    changed setting is a new ``Config`` (``dataclasses.replace``)."""

    project_root: Path
    config_file: Optional[Path] = None
    select: Optional[List[str]] = None  # None: the rules that are on by default
    extend_select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: List[str] = field(default_factory=list)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    respect_gitignore: bool = True
    src: List[Path] = field(default_factory=list)
    parameter_template: str = DEFAULT_PARAMETER_TEMPLATE
    cache_dir_setting: Optional[Path] = None
    force_exclude: bool = False  # apply the excludes to paths given explicitly, too
    target_version: Optional[Tuple[int, int]] = None  # None: the running interpreter's syntax
    check_syntax: bool = False  # ZL000 on every file, not only on those a rule needs parsed

    @property
    def cache_dir(self) -> Path:
        return self.cache_dir_setting or (self.project_root / ".zlint_cache")

    def all_excludes(self) -> List[str]:
        return list(self.exclude) + list(self.extend_exclude)


def _string_list(key: str, value, where: Path) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings, got {value!r}")
    return list(value)


def _parse_per_file_ignores(value, where: Path) -> Dict[str, List[str]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `per-file-ignores` must be a table of pattern = [codes]")
    return {pattern: _string_list(f"per-file-ignores.{pattern}", codes, where) for pattern, codes in value.items()}


def _parse_bool(key: str, value, where: Path) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: `{key}` must be true or false, got {value!r}")
    return value


def _parse_template(value, where: Path) -> str:
    if not isinstance(value, str) or "{attr}" not in value:
        raise ConfigError(f"{where}: `fix.parameter-template` must be a string containing {{attr}}, got {value!r}")
    probe = value.replace("{attr}", "flag")
    if not probe.isidentifier():
        raise ConfigError(f"{where}: `fix.parameter-template` must produce an identifier, got {value!r}")
    return value


_TOP_LEVEL_KEYS = {
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "respect-gitignore",
    "src",
    "fix",
    "cache-dir",
    "force-exclude",
    "target-version",
    "check-syntax",
}
_FIX_KEYS = {"parameter-template"}


def parse_target_version(value, where: str) -> Tuple[int, int]:
    """``"3.12"`` or Ruff's ``"py312"`` as (3, 12)."""
    text = value.strip().lower() if isinstance(value, str) else ""
    match = re.fullmatch(r"(?:py)?3\.?(\d{1,2})", text)
    if not match or not 7 <= int(match.group(1)) <= 15:
        raise ConfigError(
            f'{where}: `target-version` must be a Python version such as "3.12" or "py312", got {value!r}'
        )
    return (3, int(match.group(1)))


def _zlint_table(document):
    """The [tool.zlint] table of a parsed pyproject.toml, or None when there is none (a `tool`
    that is not a table holds no zlint table either)."""
    tool = document.get("tool") if isinstance(document, dict) else None
    return tool.get("zlint") if isinstance(tool, dict) else None


def load_config_file(path: Path, require_table: bool = False) -> Config:
    root = path.parent.resolve()
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = _zlint_table(document)
        if table is None:
            if require_table:
                raise ConfigError(f"{path}: no [tool.zlint] table")
            table = {}
    else:
        table = document
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.zlint] must be a table")
    return apply_table(Config(project_root=root, config_file=path), table, path, root)


def apply_table(config: Config, table: dict, path, root: Path) -> Config:
    """Set ``config``'s fields from a [tool.zlint] table; ``path`` names the table's origin in
    errors and ``root`` anchors its relative paths."""
    unknown = sorted(set(table) - _TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.zlint]: {', '.join(unknown)}"
            f" (expected one of: {', '.join(sorted(_TOP_LEVEL_KEYS))})"
        )
    changes: Dict[str, object] = {}
    if "select" in table:
        changes["select"] = _string_list("select", table["select"], path)
    if "extend-select" in table:
        changes["extend_select"] = _string_list("extend-select", table["extend-select"], path)
    if "ignore" in table:
        changes["ignore"] = _string_list("ignore", table["ignore"], path)
    if "exclude" in table:
        changes["exclude"] = _string_list("exclude", table["exclude"], path)
    if "extend-exclude" in table:
        changes["extend_exclude"] = _string_list("extend-exclude", table["extend-exclude"], path)
    if "per-file-ignores" in table:
        changes["per_file_ignores"] = _parse_per_file_ignores(table["per-file-ignores"], path)
    if "respect-gitignore" in table:
        changes["respect_gitignore"] = _parse_bool("respect-gitignore", table["respect-gitignore"], path)
    if "src" in table:
        changes["src"] = [(root / entry).resolve() for entry in _string_list("src", table["src"], path)]
    if "cache-dir" in table:
        value = table["cache-dir"]
        if not isinstance(value, str):
            raise ConfigError(f"{path}: `cache-dir` must be a string, got {value!r}")
        changes["cache_dir_setting"] = (root / value).resolve()
    if "fix" in table:
        fix_table = table["fix"]
        if not isinstance(fix_table, dict):
            raise ConfigError(f"{path}: [tool.zlint.fix] must be a table")
        unknown_fix = sorted(set(fix_table) - _FIX_KEYS)
        if unknown_fix:
            raise ConfigError(f"{path}: unknown key(s) in [tool.zlint.fix]: {', '.join(unknown_fix)}")
        if "parameter-template" in fix_table:
            changes["parameter_template"] = _parse_template(fix_table["parameter-template"], path)
    if "force-exclude" in table:
        changes["force_exclude"] = _parse_bool("force-exclude", table["force-exclude"], path)
    if "target-version" in table:
        changes["target_version"] = parse_target_version(table["target-version"], str(path))
    if "check-syntax" in table:
        changes["check_syntax"] = _parse_bool("check-syntax", table["check-syntax"], path)
    return replace(config, **changes)  # type: ignore[arg-type]


def find_config_file(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml with a [tool.zlint] table, walking up from ``start``."""
    current = start.resolve()
    if current.is_file():
        current = current.parent
    for directory in (current, *current.parents):
        candidate = directory / "pyproject.toml"
        if has_zlint_table(candidate):
            return candidate
    return None


_TABLE_HEADER = re.compile(rb"^\s*\[+\s*tool\s*\.\s*zlint\b|^\s*tool\s*\.\s*zlint\b|^\s*zlint\s*=", re.MULTILINE)


def has_zlint_table(candidate: Path) -> bool:
    """Whether ``candidate`` is a pyproject.toml holding [tool.zlint]. Another project's file
    without that table is never an error, even when it cannot be read or parsed; a broken file
    that mentions tool.zlint is one (the user meant to configure zlint)."""
    try:
        if not candidate.is_file():
            return False
        data = candidate.read_bytes()
    except OSError:
        return False
    if b"zlint" not in data:
        return False
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        if _TABLE_HEADER.search(data):
            raise ConfigError(f"{candidate}: cannot be read as TOML: {exc}") from None
        return False
    return _zlint_table(document) is not None


def find_project_root(start: Path) -> Path:
    """The folder of the nearest pyproject.toml, setup.cfg or .git above ``start``; without one,
    the parent of the top-level package holding ``start`` (never the working directory)."""
    from .roots import default_project_root
    from .roots import find_project_root as nearest_marker

    return nearest_marker(start) or default_project_root(start)


def resolve_config(paths: Sequence[Path], explicit: Optional[Path] = None) -> Config:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return load_config_file(explicit)
    start = paths[0] if paths else Path.cwd()
    found = find_config_file(start)
    if found is not None:
        return load_config_file(found)
    return Config(project_root=find_project_root(start))


def apply_overrides(
    config: Config,
    select: Tuple[str, ...] = (),
    extend_select: Tuple[str, ...] = (),
    ignore: Tuple[str, ...] = (),
    exclude: Tuple[str, ...] = (),
) -> Config:
    changes: Dict[str, object] = {}
    if select:
        changes["select"] = list(select)
    if extend_select:
        changes["extend_select"] = list(config.extend_select) + list(extend_select)
    if ignore:
        changes["ignore"] = list(config.ignore) + list(ignore)
    if exclude:
        changes["extend_exclude"] = list(config.extend_exclude) + list(exclude)
    return replace(config, **changes) if changes else config  # type: ignore[arg-type]
