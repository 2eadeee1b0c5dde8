"""The ``zlint`` command line.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import click

from . import __version__
from .config import ConfigError, resolve_config
from .report import OUTPUT_FORMATS, REPORTERS, Reporter
from .report.statistics import write_statistics

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_STARTED = time.perf_counter()  # for the run's time in JUnit output


def _fail(message: str) -> None:
    click.echo(f"zlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zlint")
def cli() -> None:
    """zlint finds forward-time mutation of nested submodule state in PyTorch model code."""


def _common_options(func):
    options = [
        click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path)),
        click.option(
            "--select",
            multiple=True,
            help="Rule codes or prefixes to enable (comma separated); replaces the default set.",
        ),
        click.option(
            "--extend-select", multiple=True, help="Rule codes or prefixes to enable on top of the selection."
        ),
        click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable."),
        click.option("--exclude", multiple=True, help="Extra gitignore-style patterns to exclude."),
        click.option(
            "--config",
            "config_file",
            multiple=True,
            help="A configuration file to use instead of searching for one, or a TOML `KEY = VALUE` "
            "that overrides one setting (repeatable).",
        ),
        click.option(
            "--force-exclude/--no-force-exclude",
            default=None,
            help="Apply the excludes to paths given explicitly, too (as pre-commit passes them).",
        ),
        click.option(
            "--target-version",
            default=None,
            metavar="3.X",
            help="The Python version whose syntax the code is written in "
            "(default: target-version, else this interpreter's).",
        ),
        click.option(
            "--output-format",
            type=click.Choice(OUTPUT_FORMATS),
            default=None,
            envvar="ZLINT_OUTPUT_FORMAT",
            help="How to print findings (default: $ZLINT_OUTPUT_FORMAT, else text).",
        ),
        click.option(
            "--output-file",
            "-o",
            type=click.Path(path_type=Path),
            help="Write the report to this file instead of stdout.",
        ),
        click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings."),
        click.option("--quiet", "-q", is_flag=True, help="Print findings only, without the summary line."),
        click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes marked unsafe."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache."),
        click.option(
            "--cache-dir",
            type=click.Path(path_type=Path),
            envvar="ZLINT_CACHE_DIR",
            help="Where the result cache lives (default: .zlint_cache in the project root).",
        ),
        click.option(
            "--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per CPU)."
        ),
        click.option(
            "--diff", is_flag=True, help="With fixing: print the changes as one unified diff and write nothing."
        ),
        click.option(
            "--file-timeout",
            type=click.FloatRange(min=0),
            default=None,
            envvar="ZLINT_FILE_TIMEOUT",
            help="Seconds one file may take before it is reported as an internal error (default 60; 0: no limit).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _load_config(targets, config_file, select, extend_select, ignore, exclude, force_exclude=None, target_version=None):
    """The run's ``Settings`` (zlint.api.load_settings) and the settings of the first path (for
    what is done once: the cache folder to clean, a baseline's paths, standard input)."""
    from .api import load_settings, primary_config

    settings = load_settings(
        targets,
        select=select,
        extend_select=extend_select,
        ignore=ignore,
        exclude=exclude,
        config=config_file,
        force_exclude=force_exclude,
        target_version=target_version,
    )
    return primary_config(settings, targets), settings


@cli.command()
@_common_options
@click.option("--fix", is_flag=True, help="Apply fixes (the same as `zlint fix`).")
@click.option(
    "--runtime-report",
    type=click.Path(path_type=Path),
    help="Merge a runtime guard report: confirm findings it saw, add writes only it saw.",
)
@click.option("--statistics", is_flag=True, help="Print a count of findings per rule instead of the findings.")
@click.option("--show-suppressed", is_flag=True, help="Include suppressed findings (SARIF: as suppressions).")
@click.option("--write-baseline", type=click.Path(path_type=Path), help="Record today's findings in this file.")
@click.option("--baseline", type=click.Path(path_type=Path), help="Report only findings not recorded in this file.")
@click.option(
    "--stdin-filename",
    type=click.Path(path_type=Path),
    help="With PATHS `-`: the path the code read from standard input is checked as (for imports, "
    "per-file ignores and the reported file name).",
)
@click.option("--show-settings", is_flag=True, help="Print the settings that apply to the first path, and exit.")
@click.option("--show-files", is_flag=True, help="Print the files that would be checked, and exit.")
@click.option("--show-fixes", is_flag=True, help="With --fix: list each fix applied.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="With --fix: exit 1 when anything was fixed.")
@click.option(
    "--check-syntax",
    is_flag=True,
    help="Parse every file for ZL000 (syntax errors), not only those a selected rule needs parsed "
    "(the setting check-syntax).",
)
def check(
    paths,
    select,
    extend_select,
    ignore,
    exclude,
    config_file,
    force_exclude,
    target_version,
    output_format,
    output_file,
    exit_zero,
    quiet,
    unsafe_fixes,
    no_cache,
    cache_dir,
    jobs,
    diff,
    file_timeout,
    fix,
    runtime_report,
    statistics,
    show_suppressed,
    write_baseline,
    baseline,
    stdin_filename,
    show_settings,
    show_files,
    show_fixes,
    exit_non_zero_on_fix,
    check_syntax,
) -> None:
    """Check PATHS (default: the current directory) and report findings. PATHS `-` reads one file
    from standard input."""
    if check_syntax:  # as `--config "check-syntax = true"`: it overrides the files' setting
        config_file = tuple(config_file) + ("check-syntax = true",)
    reads_stdin = any(str(p) == "-" for p in paths)
    if reads_stdin and len(paths) > 1:
        _fail("`-` (standard input) cannot be combined with other paths")
    if stdin_filename is not None and not reads_stdin:
        _fail("--stdin-filename needs `-` among the paths")
    if fix or diff:
        refused = [
            name
            for name, given in (
                ("--statistics", statistics),
                ("--baseline", baseline is not None),
                ("--write-baseline", write_baseline is not None),
                ("--runtime-report", runtime_report is not None),
                ("--show-suppressed", show_suppressed),
                ("--show-settings", show_settings),
                ("--show-files", show_files),
            )
            if given
        ]
        if refused:
            _fail(f"{', '.join(refused)} cannot be combined with fixing (--fix/--diff): check first, then fix")
        _refuse_fix_only_options(jobs, cache_dir)
        _run_fix(
            paths,
            select,
            extend_select,
            ignore,
            exclude,
            config_file,
            output_format,
            output_file,
            exit_zero,
            quiet,
            unsafe_fixes,
            diff,
            force_exclude,
            target_version,
            show_fixes,
            exit_non_zero_on_fix,
            file_timeout=file_timeout,
        )
        return
    from .api import RunOptions
    from .api import check as run_check
    from .runner import StdinSource

    stdin = None
    if reads_stdin:
        virtual = Path(os.path.abspath(stdin_filename)) if stdin_filename is not None else Path.cwd() / "-"
        shown = _display_stdin_name(stdin_filename)
        stdin = StdinSource(virtual, sys.stdin.buffer.read(), shown)
        targets = [virtual.parent]
    else:
        targets = list(paths) or [Path(".")]
    try:
        config, settings = _load_config(
            targets, config_file, select, extend_select, ignore, exclude, force_exclude, target_version
        )
        _finish_interrupted_fix(config.project_root)
        if stdin is not None and stdin_filename is not None:
            config = settings.for_file(stdin.path)
        if show_settings:
            from .settings_files import describe

            click.echo("\n".join(describe(settings.for_file(targets[0]))))
            sys.exit(EXIT_CLEAN)
        if show_files:
            _show_files(targets, settings)
        if output_file is not None:
            _prepare_output(output_file)
        if stdin is not None and config.force_exclude and stdin_filename is not None:
            from .discovery import FileFilter, force_excluded

            if force_excluded(stdin.path, config, FileFilter(config)):
                sys.exit(EXIT_CLEAN)  # as Ruff: an excluded --stdin-filename is not checked
        output_format = output_format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else None)
        options_run = RunOptions(jobs=jobs, cache=not no_cache, cache_dir=cache_dir, file_timeout=file_timeout)
        result = run_check(targets, settings, options_run, stdin=stdin)
        cache = None if no_cache else (cache_dir or (lambda group: group.cache_dir))
        options = {"show_suppressed": show_suppressed}
        if output_format == "sarif" and stdin is None:
            from .report.sarif_fixes import fix_changes

            options["fixes"] = fix_changes(result, settings, cache)
        if write_baseline is not None or baseline is not None:
            from .baseline import BaselineError, apply_baseline, read_baseline
            from .baseline import write_baseline as save_baseline

            try:
                if write_baseline is not None:
                    count = save_baseline(write_baseline, result.findings, config.project_root, result.sources)
                    click.echo(f"Wrote {count} finding(s) to {write_baseline}", err=True)
                    sys.exit(EXIT_CLEAN)
                entries = read_baseline(baseline)
            except BaselineError as exc:
                _fail(str(exc))
                return
            result.findings, stale = apply_baseline(result.findings, entries, config.project_root, result.sources)
            for entry in stale:
                click.echo(
                    f"warning: stale baseline entry: {entry.code} in {entry.path} ({entry.fingerprint}) "
                    f"matches no finding any more",
                    err=True,
                )
        if runtime_report is not None:
            from .discovery import discover_groups
            from .runtime_report import ReportError, load_report, merge

            try:
                records = load_report(runtime_report)
            except ReportError as exc:
                _fail(str(exc))
                return
            if stdin is not None:
                checked = [str(stdin.path)]
            else:
                checked = [str(p) for _, files in discover_groups(targets, settings)[0] for p in files]
            result.findings = merge(result.findings, records, checked)
    except ConfigError as exc:
        _fail(str(exc))
        return
    if show_fixes:
        options["show_fixes"] = True
    if statistics:
        options["statistics"] = True
    _report_and_exit(result, output_format, output_file, exit_zero, quiet, options)


def _refuse_fix_only_options(jobs, cache_dir) -> None:
    if jobs is not None:
        _fail("-j/--jobs cannot be used with fixing: fixes are planned in one process")
    if cache_dir is not None and not os.environ.get("ZLINT_CACHE_DIR"):
        _fail("--cache-dir cannot be used with fixing: fixing never reads the cache (it needs every fix plan)")


def _show_files(targets, settings) -> None:
    """``--show-files``: each file a check of these paths would read, one a line."""
    from .discovery import discover_groups

    groups, warnings, unreadable = discover_groups(targets, settings)
    from .results import display_path

    shown = sorted([display_path(p) for _, files in groups for p in files] + [display_path(p) for p, _ in unreadable])
    for line in shown:
        click.echo(line)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    sys.exit(EXIT_CLEAN)


def _prepare_output(output_file: Path) -> None:
    """``-o``: create its folder and make sure it can be written before the run, not after."""
    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        if output_file.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        if not os.access(output_file.parent, os.W_OK) or (output_file.exists() and not os.access(output_file, os.W_OK)):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        _fail(f"cannot write {output_file}: {exc.strerror or exc}")


@cli.command(name="fix")
@_common_options
@click.option("--show-fixes", is_flag=True, help="List each fix applied (path, line, code).")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when anything was fixed, even if nothing is left.")
@click.option(
    "--fix-only",
    is_flag=True,
    help="Print only what was fixed (or why nothing could be), not the findings left, and exit 0 for them "
    "(the pre-commit fix hook: the check hook reports the rest).",
)
def fix_command(
    paths,
    select,
    extend_select,
    ignore,
    exclude,
    config_file,
    force_exclude,
    target_version,
    output_format,
    output_file,
    exit_zero,
    quiet,
    unsafe_fixes,
    no_cache,
    cache_dir,
    jobs,
    diff,
    file_timeout,
    show_fixes,
    exit_non_zero_on_fix,
    fix_only,
) -> None:
    """Rewrite fixable findings in PATHS into forward-argument threading."""
    _refuse_fix_only_options(jobs, cache_dir)
    _run_fix(
        paths,
        select,
        extend_select,
        ignore,
        exclude,
        config_file,
        output_format,
        output_file,
        exit_zero,
        quiet,
        unsafe_fixes,
        diff,
        force_exclude,
        target_version,
        show_fixes,
        exit_non_zero_on_fix,
        fix_only,
        file_timeout=file_timeout,
    )


def _run_fix(
    paths,
    select,
    extend_select,
    ignore,
    exclude,
    config_file,
    output_format,
    output_file,
    exit_zero,
    quiet,
    unsafe_fixes,
    diff,
    force_exclude=None,
    target_version=None,
    show_fixes=False,
    exit_non_zero_on_fix=False,
    fix_only=False,
    file_timeout=None,
) -> None:
    from .api import fix as run_fix
    from .fix.apply import FixError
    from .fix.run import unified_diff
    from .fix.transaction import TransactionError

    if any(str(p) == "-" for p in paths):
        _fail("fixes edit files on disk and may span several files: check standard input, fix the files")
    targets = list(paths) or [Path(".")]
    try:
        _, settings = _load_config(
            targets, config_file, select, extend_select, ignore, exclude, force_exclude, target_version
        )
        if output_file is not None:
            _prepare_output(output_file)
        outcome = run_fix(targets, settings, unsafe=unsafe_fixes, write=not diff, file_timeout=file_timeout)
        if diff:
            text = unified_diff(outcome.edits)
            sys.stdout.write(text)
            count = len(outcome.applied) if outcome.edits else 0
            click.echo(f"Would fix {count} error{'s' if count != 1 else ''}.", err=True)
            _echo_refused(outcome)
            sys.exit(EXIT_FINDINGS if outcome.edits and not exit_zero else EXIT_CLEAN)
        result = outcome.after if outcome.after is not None else outcome.before
    except ConfigError as exc:
        _fail(str(exc))
        return
    except (FixError, TransactionError) as exc:
        _fail(str(exc))
        return
    fixed = len(outcome.applied) if outcome.edits else 0
    if show_fixes and outcome.edits:
        for finding in outcome.applied:
            click.echo(
                f"Fixed {finding.path}:{finding.start.line}:{finding.start.column}: {finding.code} {finding.name}",
                err=True,
            )
    if not quiet:
        for shown in outcome.changed_files():
            click.echo(f"Changed {shown}", err=True)
        click.echo(f"Fixed {fixed} error{'s' if fixed != 1 else ''}.", err=True)
        _echo_refused(outcome)
        if outcome.skipped_unsafe and not unsafe_fixes:
            click.echo(f"{outcome.skipped_unsafe} fix(es) available with --unsafe-fixes.", err=True)
    if fix_only:
        for error in result.internal_errors:
            click.echo(f"error: internal error in {error.rule} while checking {error.path}: {error.message}", err=True)
        if result.internal_errors:
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_FINDINGS if exit_non_zero_on_fix and fixed else EXIT_CLEAN)
    _report_and_exit(
        result, output_format, output_file, exit_zero, quiet, {"exit_on_fix": bool(exit_non_zero_on_fix and fixed)}
    )


def _echo_refused(outcome) -> None:
    """Each finding the fix left as it was, and why."""
    for finding, why in outcome.refused:
        click.echo(
            f"Not fixed: {finding.path}:{finding.start.line}:{finding.start.column}: {finding.code}: {why}", err=True
        )


def _finish_interrupted_fix(root: Path) -> None:
    """A fix killed between its renames left a journal: finish (or undo) it before checking."""
    from .fix.transaction import JOURNAL, TransactionError, fix_lock

    if (root / JOURNAL).exists():
        try:
            with fix_lock(root, wait=60.0):
                pass
        except (OSError, TransactionError) as exc:
            click.echo(f"warning: an interrupted fix could not be finished: {exc}", err=True)


def _display_stdin_name(stdin_filename: Optional[Path]) -> str:
    if stdin_filename is None:
        return "-"
    from .results import display_path

    return display_path(Path(os.path.abspath(stdin_filename)))


def _report_and_exit(result, output_format, output_file, exit_zero, quiet, extra=None) -> None:
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.files_checked == 0:
        click.echo("warning: no Python files found under the given paths", err=True)
    options = {"quiet": quiet, "elapsed": time.perf_counter() - _STARTED, **(extra or {})}
    reporter: Reporter
    if options.get("statistics"):
        from .report.statistics import write_statistics_json

        reporter = write_statistics_json if output_format == "json" else write_statistics
    else:
        reporter = REPORTERS[output_format or "text"]
    if output_file is not None:
        try:
            output_file.parent.mkdir(parents=True, exist_ok=True)
            with output_file.open("w", encoding="utf-8") as handle:
                reporter(result, handle, options)
        except OSError as exc:
            _fail(f"cannot write {output_file}: {exc.strerror or exc}")
    else:
        from .report.colour import colour_enabled

        options["colour"] = colour_enabled(sys.stdout)
        reporter(result, sys.stdout, options)
    _exit_for(result, exit_zero, options.get("exit_on_fix", False))


def _exit_for(result, exit_zero, exit_on_fix=False) -> None:
    for error in result.internal_errors:
        click.echo(f"error: internal error in {error.rule} while checking {error.path}: {error.message}", err=True)
    if result.internal_errors:
        sys.exit(EXIT_ERROR)
    if exit_on_fix:
        sys.exit(EXIT_FINDINGS)
    if result.findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


@cli.command()
@click.option("--cache-dir", type=click.Path(path_type=Path), envvar="ZLINT_CACHE_DIR", help="The cache to remove.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Use this pyproject.toml.")
def clean(cache_dir: Optional[Path], config_file: Optional[Path]) -> None:
    """Remove the result cache."""
    from .cache import clean as remove_cache

    try:
        config = resolve_config([Path(".")], config_file)
    except ConfigError as exc:
        _fail(str(exc))
        return
    target = cache_dir or config.cache_dir
    if remove_cache(target):
        click.echo(f"Removed {target}")
    else:
        click.echo(f"No cache at {target}")


@cli.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print the documentation of RULE (a code such as ZL001, or its name)."""
    from zlint.rules import lookup

    found = lookup(rule)
    if found is None:
        _fail(f"unknown rule `{rule}`; `zlint rules` lists them")
        return
    click.echo(f"# {found.name} ({found.code})\n")
    fix = "Fix is available." if found.fixable else "No fix is available."
    default = "On by default." if found.default_enabled else "Off by default; enable it with --select."
    click.echo(f"{default} {fix}\n")
    click.echo(found.docs())


@cli.command(name="rules")
def list_rules() -> None:
    """List every rule with its name and fixability."""
    from zlint.rules import ALL_RULES

    rows = [("Code", "Name", "Fix", "Default", "Summary")]
    for rule in ALL_RULES:
        rows.append(
            (
                rule.code,
                rule.name,
                "yes" if rule.fixable else "no",
                "on" if rule.default_enabled else "off",
                rule.summary(),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])


@cli.command(name="server")
def server_command() -> None:
    """Run the language server on standard input and output, for editors (docs/editors.md)."""
    try:
        from .server.app import serve
    except ImportError as exc:
        _fail(f"the language server needs the `server` extra: pip install 'zlint[server]' ({exc})")
        return
    serve()


class _Interrupted(BaseException):
    """Ctrl-C. Not a KeyboardInterrupt, which click turns into "Aborted!" and exit 1."""


def _on_sigint(signum, frame) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    raise _Interrupted()


def main(argv: Optional[Sequence[str]] = None) -> None:
    import signal

    from .pool import WorkerStartupError

    # zlint builds many syntax trees that hold no reference cycles worth collecting; the cyclic
    # collector would re-scan them over and over (it doubled the time of a large run).
    gc.disable()
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="zlint", standalone_mode=True)
    except (KeyboardInterrupt, _Interrupted):
        click.echo("zlint: interrupted", err=True)
        sys.exit(130)
    except WorkerStartupError as exc:
        _fail(f"a worker process could not start: {exc}")
    except SystemExit:
        raise
    except Exception as exc:  # last line of defence: no tracebacks for users
        if os.environ.get("ZLINT_DEBUG"):
            raise
        click.echo(f"zlint: internal error: {type(exc).__name__}: {exc} (set ZLINT_DEBUG=1 for a traceback)", err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
