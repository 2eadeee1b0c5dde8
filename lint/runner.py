"""Running the selected rules over the discovered files and collecting findings.

Each file goes through: read -> ``ast`` parse -> pre-filter -> (only if it may hold a finding)
LibCST parse, forward analysis and rules. Files are spread over worker processes, each with
its own lazy project index; results come back per file and are merged in sorted order. A cache
keyed by file content and by the content of every file the resolution looked into lets an
unchanged tree be checked without parsing anything.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Type

from .config import Config
from .findings import Finding, Position
from .selection import PARSE_ERROR_CODE, PerFileIgnores, validate_selection


@dataclass(frozen=True)
class InternalError:
    path: str
    rule: str
    message: str


@dataclass
class FileResult:
    path: Path
    findings: List[Finding] = field(default_factory=list)
    suppressed: List[Finding] = field(default_factory=list)
    internal_errors: List[InternalError] = field(default_factory=list)
    deps: List[str] = field(default_factory=list)
    analysed: bool = False  # passed the pre-filter and went through the rules
    source_text: Optional[str] = None  # the text the rules read, kept when there are findings


@dataclass
class RunResult:
    findings: List[Finding] = field(default_factory=list)
    suppressed: List[Finding] = field(default_factory=list)
    internal_errors: List[InternalError] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    files_checked: int = 0
    files_analysed: int = 0
    files_from_cache: int = 0
    index: Optional[object] = None
    # The text each reported file had when it was read (shown path -> text): reporters and
    # baselines use it instead of reading the disk again (standard input has no file on disk).
    sources: Dict[str, str] = field(default_factory=dict)


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, else absolute."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:  # on another drive
        return absolute
    return absolute if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


def _rule_classes():
    from zlint.rules import ALL_RULES

    return list(ALL_RULES)


def import_roots(config: Config):
    """The run's import model (see lint/roots.py), from settings alone: every worker gets the
    same one, whichever files it happens to read first."""
    from .roots import ImportRoots

    return ImportRoots(config.project_root, config.src)


class FileChecker:
    """Checks files one at a time against one lazy project index (one per process)."""

    def __init__(self, config: Config, rule_classes, codes: Set[str], keep_plans: bool = False, prefilter: bool = True,
                 roots=None):
        from .index import ProjectIndex

        self.config = config
        self.rule_classes = rule_classes
        self.codes = codes
        self.per_file = PerFileIgnores(config, rule_classes)
        self.index = ProjectIndex(roots if roots is not None else import_roots(config), whole_modules=keep_plans)
        self.keep_plans = keep_plans
        self.prefilter = prefilter  # off only in the tests that check the pre-filter itself

    def check(self, path: Path, data: Optional[bytes] = None, shown: Optional[str] = None) -> FileResult:
        """Check one file; ``data`` stands in for its content on disk (standard input)."""
        from .parsing import ParseFailure, parse_source
        from .prefilter import candidate_classes, quick_reject
        from .source import SourceError, SourceFile, decode, read_source

        result = FileResult(Path(os.path.abspath(path)))
        shown = shown or display_path(path)
        active = self.codes - self.per_file.ignored_codes(path)
        parsed = self.index.cached(path) if data is None else None
        if parsed is None:
            # Files are read outside the index first: most are dropped before anything else.
            try:
                source = read_source(path) if data is None else SourceFile(path, data, *decode(data))
            except SourceError as exc:
                self._parse_error(result, shown, ParseFailure(str(exc)), active)
                return result
            rejected = self.prefilter and quick_reject(source.data)
            if rejected and PARSE_ERROR_CODE not in active:
                return result
            parsed = parse_source(source)
            if parsed.failure is None and rejected:
                return result
            self.index.adopt(path, parsed)
        if parsed.failure is not None:
            self._parse_error(result, shown, parsed.failure, active, parsed.source)
            return result
        rule_codes = active - {PARSE_ERROR_CODE}
        summary = None
        candidates: Optional[Set[str]] = set()
        if rule_codes:
            try:
                candidates = candidate_classes(parsed.tree, rule_codes) if self.prefilter else None
            except RecursionError:
                candidates = None  # too deep for the pre-filter: analyse every class
        if candidates is None:
            summary = self.index.load(path)
            candidates = set(summary.classes) if summary is not None else set()
        if not candidates:
            self.index.forget_tree(path)
            return result
        summary = summary or self.index.load(path)
        unparsable = [name for name in sorted(candidates) if name in summary.classes and summary.classes[name].node is None]
        if unparsable and parsed.module is None:
            self._parse_error(result, shown, parsed.cst_failure, active, parsed.source)
            return result
        result.analysed = True
        self._run_rules(path, shown, parsed, summary, rule_codes, result, candidates)
        if result.findings or result.suppressed:
            result.source_text = parsed.source.text
        result.deps = sorted(str(p) for p in self.index.dependencies(path))
        self.index.forget_tree(path)
        return result

    @staticmethod
    def _parse_error(result: FileResult, shown: str, failure, active, source=None) -> None:  # noqa: D401
        if PARSE_ERROR_CODE in active:
            if source is not None:
                result.source_text = source.text
            result.findings.append(
                Finding(
                    code=PARSE_ERROR_CODE,
                    name="parse-error",
                    message=failure.message,
                    path=shown,
                    start=Position(failure.line, failure.column),
                    end=Position(failure.line, failure.column),
                )
            )

    def _run_rules(self, path, shown, parsed, summary, rule_codes, result: FileResult, candidates) -> None:
        from .context import FileContext
        from .suppression import is_suppressed, suppressions

        ctx = FileContext(path, shown, summary, self.index, self.config, parsed, candidates)
        table = None
        for rule_class in self.rule_classes:
            if rule_class.code not in rule_codes:
                continue
            rule = rule_class()
            try:
                found = list(rule.check(ctx))
            except RecursionError:
                result.internal_errors.append(InternalError(shown, rule.code, "code too deeply nested to analyse"))
                continue
            except Exception as exc:  # a rule bug must not hide other files' findings
                last = traceback.extract_tb(exc.__traceback__)[-1]
                where = f"{Path(last.filename).name}:{last.lineno}"
                result.internal_errors.append(InternalError(shown, rule.code, f"{type(exc).__name__}: {exc} (at {where})"))
                continue
            if found and table is None:
                table = suppressions(parsed.source.text)
            for finding in found:
                if not self.keep_plans:
                    finding = replace(finding, fix_plan=None)
                if is_suppressed(finding.code, finding.suppression_lines, table or {}):
                    result.suppressed.append(finding)
                else:
                    result.findings.append(finding)


# -- worker processes -------------------------------------------------------------------------
_WORKER: Optional[FileChecker] = None


def _init_worker(config: Config, codes: Set[str], rule_classes, roots) -> None:
    global _WORKER
    import gc

    gc.disable()  # as in the main process: trees are freed by reference counting
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    from .parsing import set_target_version

    set_target_version(config.target_version)
    _WORKER = FileChecker(config, rule_classes, codes, roots=roots)


def _check_in_worker(path: Path) -> FileResult:
    try:
        return _WORKER.check(path)
    except Exception as exc:  # keep one bad file from taking the run down
        return FileResult(Path(os.path.abspath(path)), internal_errors=[InternalError(display_path(path), "zlint", f"{type(exc).__name__}: {exc}")])


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def _run_parallel(files: Sequence[Path], config: Config, codes: Set[str], rule_classes, jobs: int, progress,
                  roots) -> List[FileResult]:
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    chunk = max(1, min(64, len(files) // (jobs * 8) or 1))
    results: List[FileResult] = []
    with context.Pool(jobs, initializer=_init_worker, initargs=(config, codes, rule_classes, roots)) as pool:
        for result in pool.imap(_check_in_worker, files, chunksize=chunk):
            results.append(result)
            progress(len(results))
    return results


class _Progress:
    """``Checked N/M files`` on a terminal's stderr for long runs; silent otherwise."""

    def __init__(self, total: int, enabled: bool):
        self.total = total
        self.enabled = enabled and total >= 200 and sys.stderr.isatty()

    def __call__(self, done: int) -> None:
        if self.enabled and (done % 50 == 0 or done == self.total):
            sys.stderr.write(f"\rChecked {done}/{self.total} files")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 40 + "\r")
            sys.stderr.flush()


@dataclass(frozen=True)
class StdinSource:
    """A file's content read from standard input, checked as if it lived at ``path``."""

    path: Path
    data: bytes
    shown: str


def _check_stdin(stdin: StdinSource, config: Config, rule_classes, codes: Set[str]) -> RunResult:
    item = FileChecker(config, rule_classes, codes, roots=import_roots(config)).check(
        stdin.path, data=stdin.data, shown=stdin.shown
    )
    result = RunResult(files_checked=1, files_analysed=int(item.analysed))
    result.findings = sorted(item.findings, key=Finding.sort_key)
    result.suppressed = sorted(item.suppressed, key=Finding.sort_key)
    result.internal_errors = list(item.internal_errors)
    if item.source_text is not None:
        result.sources[stdin.shown] = item.source_text
    return result


def check_paths(
    paths: Sequence[Path],
    config: Config,
    rules: Optional[Sequence[Type]] = None,
    jobs: Optional[int] = None,
    cache_dir=None,
    keep_plans: bool = False,
    progress: bool = True,
    stdin: Optional[StdinSource] = None,
    settings=None,
) -> RunResult:
    """Check ``paths``. ``jobs`` > 1 uses worker processes; ``cache_dir`` enables the cache (a
    path, or a function of each file's settings); ``keep_plans`` (for ``zlint fix``) runs in this
    process and keeps each finding's fix plan. ``settings`` (a ``Settings``) looks the settings up
    per file; without it ``config`` applies to every file."""
    from .discovery import discover_groups
    from .parsing import set_target_version
    from .settings_files import Settings

    rule_classes = list(rules) if rules is not None else _rule_classes()
    codes = validate_selection(config, rule_classes)
    if stdin is not None:
        set_target_version(config.target_version)
        return _check_stdin(stdin, config, rule_classes, codes)
    settings = settings or Settings.fixed(config)
    groups, warnings, unreadable = discover_groups(paths, settings)
    # Every group's settings are validated before any file is read or any worker starts.
    group_codes = [validate_selection(group_config, rule_classes) for group_config, _ in groups]
    result = RunResult(warnings=warnings, files_checked=sum(len(files) for _, files in groups) + len(unreadable))
    for path, reason in unreadable:  # never skipped silently: a ZL000 unless ZL000 is off there
        if PARSE_ERROR_CODE not in validate_selection(settings.for_file(path), rule_classes):
            continue
        result.findings.append(Finding(PARSE_ERROR_CODE, "parse-error", reason, display_path(path), Position(1, 1), Position(1, 1)))
    for (group_config, files), codes in zip(groups, group_codes):
        set_target_version(group_config.target_version)
        directory = cache_dir(group_config) if callable(cache_dir) else cache_dir
        part = _check_files(files, group_config, rule_classes, codes, jobs, directory, keep_plans, progress)
        result.findings.extend(part.findings)
        result.suppressed.extend(part.suppressed)
        result.internal_errors.extend(part.internal_errors)
        result.files_analysed += part.files_analysed
        result.files_from_cache += part.files_from_cache
        result.sources.update(part.sources)
        result.warnings.extend(part.warnings)
        if result.index is None:
            result.index = part.index
    result.findings.sort(key=Finding.sort_key)
    result.suppressed.sort(key=Finding.sort_key)
    result.internal_errors.sort(key=lambda e: (e.path, e.rule, e.message))
    return result


def _check_files(files, config: Config, rule_classes, codes, jobs, cache_dir, keep_plans, progress) -> RunResult:
    result = RunResult(files_checked=len(files))
    cache = None
    pending: List[Path] = list(files)
    per_file: List[FileResult] = []
    if cache_dir is not None and not keep_plans:
        from .cache import Cache

        cache = Cache.open(cache_dir, config, codes)
        pending = []
        for path in files:
            hit = cache.lookup(path)
            if hit is None:
                pending.append(path)
            else:
                per_file.append(hit)
        result.files_from_cache = len(files) - len(pending)

    jobs = jobs if jobs is not None else default_jobs()
    roots = import_roots(config)
    meter = _Progress(len(pending), progress)
    if not pending:
        fresh = []
    elif keep_plans or jobs <= 1 or len(pending) < 2 * jobs:
        checker = FileChecker(config, rule_classes, codes, keep_plans=keep_plans, roots=roots)
        fresh = []
        for done, path in enumerate(pending, start=1):
            fresh.append(checker.check(path))
            meter(done)
        result.index = checker.index
    else:
        fresh = _run_parallel(pending, config, codes, rule_classes, jobs, meter, roots)
    meter.close()
    per_file.extend(fresh)

    if cache is not None:
        for item in fresh:
            if not item.internal_errors:
                cache.store(item)
        cache.save()
        if cache.dirty and getattr(cache, "save_error", None):
            result.warnings.append(cache.save_error)

    for item in per_file:
        result.findings.extend(item.findings)
        result.suppressed.extend(item.suppressed)
        result.internal_errors.extend(item.internal_errors)
        result.files_analysed += int(item.analysed)
        if item.source_text is not None:
            for finding in item.findings + item.suppressed:
                result.sources[finding.path] = item.source_text
    return result
