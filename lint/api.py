"""zlint's library interface: settings in, results out.

Everything that runs zlint goes through here: the command line, the language server, the
benches and the tests. Arguments (which paths, how many workers, whether to use the cache) are
kept apart from settings (which rules, which files, how fixes name their parameters), as Ruff
keeps them apart:

    settings = load_settings(["src"], select=["ZL001"])
    result = check(["src"], settings)             # a RunResult: findings, errors, sources
    outcome = fix(["src"], settings, write=False)  # a FixOutcome: the edits, nothing written

``Settings`` is built once from the configuration files and the overrides; the ``Config`` each
file gets from it is frozen, so nothing in a run can change what the run was asked to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence

from .config import Config, ConfigError
from .settings_files import Overrides, Settings, cli_target_version, split_config_options

if TYPE_CHECKING:
    from .fix.run import FixOutcome
    from .runner import RunResult, StdinSource

__all__ = ["Config", "ConfigError", "RunOptions", "Settings", "check", "fix", "load_settings", "primary_config"]


@dataclass(frozen=True)
class RunOptions:
    """How to run a check (arguments, not settings: they never change what is found)."""

    jobs: Optional[int] = None  # worker processes; None: one per CPU
    cache: bool = True  # read and write the result cache
    cache_dir: Optional[Path] = None  # None: each project's own (its `cache-dir` setting)
    file_timeout: Optional[float] = None  # seconds per file; None: 60; 0: no limit
    progress: bool = True  # a progress line on a terminal


def _strings(values: Iterable[str]) -> tuple:
    """Selector lists as the command line gives them: repeatable and comma separated."""
    out: List[str] = []
    for value in values:
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return tuple(out)


def load_settings(
    paths: Sequence[Path] = (),
    *,
    select: Sequence[str] = (),
    extend_select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    exclude: Sequence[str] = (),
    config: Sequence[str] = (),
    force_exclude: Optional[bool] = None,
    target_version: Optional[str] = None,
) -> Settings:
    """The settings of a run over ``paths``: each file's nearest ``[tool.zlint]``, with the
    overrides laid over it. ``config`` takes what ``--config`` takes (one configuration file,
    or inline ``KEY = VALUE`` TOML). Every selector is validated here, before any file is read:
    a typo raises ``ConfigError`` naming it."""
    from zlint.rules import ALL_RULES

    from .selection import expand_selector

    if select and not _strings(select):
        raise ConfigError(
            "--select '' selects no rule; name rule codes (or ALL), or leave --select out for the defaults"
        )
    explicit, inline = split_config_options(list(config))
    overrides = Overrides(
        _strings(select),
        _strings(extend_select),
        _strings(ignore),
        _strings(exclude),
        inline,
        force_exclude,
        cli_target_version(target_version),
    )
    for option, selectors in (
        ("--select", overrides.select),
        ("--extend-select", overrides.extend_select),
        ("--ignore", overrides.ignore),
    ):
        for selector in selectors:
            expand_selector(selector, ALL_RULES, option)
    first = Path(paths[0]) if paths else Path(".")
    return Settings(overrides, explicit, default_start=first)


def primary_config(settings: Settings, paths: Sequence[Path] = ()) -> Config:
    """The settings of the first path: what is done once per run (the cache folder to clean,
    the project root a fix locks, standard input)."""
    return settings.for_file(Path(paths[0]) if paths else Path("."))


def check(
    paths: Sequence[Path], settings: Settings, options: RunOptions = RunOptions(), stdin: Optional["StdinSource"] = None
) -> "RunResult":
    """Check ``paths`` (files or folders). ``stdin`` checks one text in place of a file."""
    from .runner import check_paths

    targets = [Path(p) for p in paths] or [Path(".")]
    if stdin is not None:
        targets = [stdin.path.parent]
    config = primary_config(settings, [stdin.path] if stdin is not None else targets)
    cache = None
    if options.cache:
        cache = options.cache_dir or (lambda group: group.cache_dir)
    return check_paths(
        targets,
        config,
        jobs=options.jobs,
        cache_dir=cache,
        stdin=stdin,
        settings=settings,
        file_timeout=options.file_timeout,
        progress=options.progress,
    )


def fix(
    paths: Sequence[Path],
    settings: Settings,
    *,
    unsafe: bool = False,
    write: bool = True,
    file_timeout: Optional[float] = None,
) -> "FixOutcome":
    """Plan every selected fix over ``paths`` and, with ``write``, apply them all or none (one fix
    at a time per project; one that was interrupted is finished first). The outcome holds the
    edits, the findings fixed and those refused with the reason, the run before and, when files
    were written, the run after."""
    from .fix.run import apply_fixes, plan_fixes
    from .fix.transaction import fix_lock
    from .runner import check_paths

    targets = [Path(p) for p in paths] or [Path(".")]
    config = primary_config(settings, targets)
    with fix_lock(config.project_root):
        outcome = plan_fixes(targets, config, unsafe=unsafe, settings=settings, file_timeout=file_timeout)
        if not write:
            return outcome
        apply_fixes(outcome, config.project_root)
    outcome.after = (
        check_paths(targets, config, settings=settings, file_timeout=file_timeout) if outcome.edits else outcome.before
    )
    return outcome
