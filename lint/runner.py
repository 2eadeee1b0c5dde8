"""Running the selected rules over the discovered files and collecting findings.

Each file goes through: read -> byte pre-filter -> (only if one selected rule may need it)
decode, ``ast`` parse -> ``ast`` pre-filter -> (only if it may hold a finding) LibCST parse,
forward analysis and rules. ZL000 reports the files that are parsed for a rule (and, with
``check-syntax`` or when ZL000 is the only rule selected, every file). Files are spread over
worker processes, each with its own lazy project index; results come back per file and are
merged in sorted order. A cache keyed by file content and by the content of every file the
resolution looked into lets an unchanged tree be checked without parsing anything.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Set, Tuple, Type

from .config import Config
from .findings import Finding, Position
from .results import FileResult, InternalError, RunResult, display_path
from .selection import PARSE_ERROR_CODE, PerFileIgnores, validate_selection

if TYPE_CHECKING:  # the index needs LibCST, which a fully cached run never loads
    from .index import ProjectIndex


def _rule_classes():
    from zlint.rules import ALL_RULES

    return list(ALL_RULES)


def import_roots(config: Config):
    """The run's import model (see lint/roots.py), from settings alone: every worker gets the
    same one, whichever files it happens to read first."""
    from .roots import ImportRoots

    return ImportRoots(config.project_root, config.src)


class FileTimeout(BaseException):
    """A file took longer than the per-file time limit (checks run in this process). Not an
    ``Exception``: no handler meant for a bad input may swallow it."""


_RECURSION_LIMIT = 10000  # the same in this process and in workers: the same answers in both
# A checker's project index keeps the summary of every module it loaded; past this many it starts
# afresh, so that memory stays bounded on large trees (answers never depend on what it holds).
# (bench/scale.py at 5M lines: 375 MB for the largest process instead of 649 MB, for about 7% more
# CPU time, spent parsing again the modules that imports lead to.)
_INDEX_MODULES = 400


class FileChecker:
    """Checks files one at a time against one lazy project index (one per process)."""

    def __init__(
        self,
        config: Config,
        rule_classes,
        codes: Set[str],
        keep_plans: bool = False,
        prefilter: bool = True,
        roots=None,
        stamps: bool = False,
        on_step: Optional[Callable[[str], None]] = None,
    ):
        if sys.getrecursionlimit() < _RECURSION_LIMIT:
            sys.setrecursionlimit(_RECURSION_LIMIT)
        self.config = config
        self.rule_classes = rule_classes
        self.codes = codes
        self.per_file = PerFileIgnores(config, rule_classes)
        self.roots = roots if roots is not None else import_roots(config)
        self._index = None  # made on first use: a worker whose files no rule needs never loads LibCST
        self._made = None  # the index this checker made (the server may put another in its place)
        self.keep_plans = keep_plans
        self.prefilter = prefilter  # off only in the tests that check the pre-filter itself
        self.stamps = stamps  # record what was read, for the cache
        self.on_step = on_step
        self.step = "start-up"
        self.check_syntax = bool(getattr(config, "check_syntax", False))  # ZL000 on every file
        self._needs: Dict[frozenset, tuple] = {}  # rule codes -> (TextFilter, ClassFacts)
        from .stages import clock

        self.clock = clock()  # None unless ZLINT_PROFILE_STAGES is set

    def _step(self, name: str) -> None:
        self.step = name
        if self.on_step is not None:
            self.on_step(name)
        if self.clock is not None:
            self.clock.step(name)

    @property
    def index(self):
        if self._index is None:
            from .forward import analyse_class
            from .index import ProjectIndex

            if self.clock is not None:
                from .stages import instrument

                instrument(self.clock)
            self._index = self._made = ProjectIndex(self.roots, whole_modules=self.keep_plans, analyse=analyse_class)
        return self._index

    @index.setter
    def index(self, value) -> None:
        self._index = value

    def _filters(self, rule_codes: Set[str]):
        """The byte and class pre-filters for the rules of ``rule_codes`` (see lint/prefilter.py)."""
        key = frozenset(rule_codes)
        found = self._needs.get(key)
        if found is None:
            from .prefilter import ClassFacts, TextFilter

            rules = [rule for rule in self.rule_classes if rule.code in rule_codes]
            found = self._needs[key] = (TextFilter.for_rules(rules), ClassFacts.for_rules(rules))
        return found

    def check(self, path: Path, data: Optional[bytes] = None, shown: Optional[str] = None) -> FileResult:
        """Check one file; ``data`` stands in for its content on disk (standard input)."""
        from .parsing import ParseFailure, parse_source
        from .source import SourceError, SourceFile, decode, read_bytes

        result = FileResult(Path(os.path.abspath(path)))
        shown = shown or display_path(path)
        self._step("reading")
        active = self.codes - self.per_file.ignored_codes(path)
        rule_codes = active - {PARSE_ERROR_CODE}
        text_filter, _ = self._filters(rule_codes)
        # ZL000 on a file no rule needs: only when asked for, or when it is the only rule.
        every_syntax = PARSE_ERROR_CODE in active and (self.check_syntax or not rule_codes)
        if (
            self._index is not None
            and self._index is self._made
            and not self.keep_plans
            and len(self._index._summaries) > _INDEX_MODULES
        ):
            self._index = self._made = None  # memory: see _INDEX_MODULES
            import gc

            gc.collect()  # the index holds reference cycles, and runs keep the collector off
        parsed = self._index.cached(path) if data is None and self._index is not None else None
        if parsed is not None and parsed.tree is None and parsed.failure is None:
            parsed = None  # checked already under another name (a link): its tree was freed
        if parsed is None:
            # Files are read outside the index first: most are dropped before anything else.
            try:
                raw, stamp = read_bytes(path) if data is None else (data, None)
            except SourceError as exc:
                self._parse_error(result, shown, ParseFailure(str(exc)), active)
                return result
            self._record_stamp(result, raw, stamp)
            self._step("byte pre-filter")
            rejected = self.prefilter and not text_filter.keeps(raw)
            if rejected and not every_syntax:
                return result
            self._step("decoding")
            try:
                source = SourceFile(path, raw, *decode(raw), stamp=stamp)
            except SourceError as exc:
                self._parse_error(result, shown, ParseFailure(str(exc)), active)
                return result
            self._step("parsing")
            parsed = parse_source(source, check_depth=False)  # measured below, only if analysed
            if parsed.failure is None and rejected:
                return result
            self.index.adopt(path, parsed)
        else:  # parsed by the index (an import led there), which measured its nesting
            source = parsed.source
            self._record_stamp(result, source.data if source else None, source.stamp if source else None)
            # The same answer whichever files the index happened to read first.
            rejected = self.prefilter and source is not None and not text_filter.keeps(source.data)
            if rejected and (parsed.failure is None or not every_syntax):
                return result
        if parsed.failure is not None:
            self._parse_error(result, shown, parsed.failure, active, parsed.source)
            return result
        try:
            return self._analyse(path, shown, parsed, active, rule_codes, result)
        except RecursionError:
            # Past what the nesting measure caught (it errs on the deep side): the same answer in
            # every mode, since the recursion limit is the same everywhere.
            from .parsing import TOO_DEEP

            fresh = FileResult(result.path, stamp=result.stamp)
            self._parse_error(fresh, shown, ParseFailure(TOO_DEEP), active | {PARSE_ERROR_CODE})
            self.index.forget_tree(path)
            return fresh

    def _analyse(self, path, shown, parsed, active, rule_codes, result: FileResult) -> FileResult:
        from .parsing import check_nesting
        from .prefilter import candidate_classes

        summary = None
        candidates: Optional[Set[str]] = set()
        if rule_codes:
            self._step("pre-filter")
            candidates = candidate_classes(parsed.tree, self._filters(rule_codes)[1]) if self.prefilter else None
        if candidates is None or candidates:
            # Measured only here, for the few files analysed further (it costs a third of a parse).
            self._step("measuring nesting")
            if check_nesting(parsed).failure is not None:
                self._parse_error(result, shown, parsed.failure, active | {PARSE_ERROR_CODE})
                return result
        if candidates is None:
            self._step("loading the module")
            summary = self.index.load(path)
            candidates = set(summary.classes) if summary is not None else set()
        if not candidates:
            self.index.forget_tree(path)
            return result
        # Only module classes are analysed (the analysis of any other class is empty): asking the
        # index, which resolves bases on ``ast`` summaries, spares a LibCST parse of the others.
        self._step("resolution")
        summary = summary or self.index.load(path)
        assert summary is not None  # the file parsed, so the index has its summary
        candidates = {
            name for name in candidates if name in summary.classes and self.index.is_module_class(summary.classes[name])
        }
        if not candidates:
            self.index.forget_tree(path)
            return result
        self._step("compiling")
        failure = _compile_error(parsed)
        if failure is not None:
            self._parse_error(result, shown, failure, active)
            self.index.forget_tree(path)
            return result
        unparsable = [
            name for name in sorted(candidates) if name in summary.classes and summary.classes[name].node is None
        ]
        if unparsable and parsed.module is None:
            self._parse_error(result, shown, parsed.cst_failure, active, parsed.source)
            return result
        result.analysed = True
        self._run_rules(path, shown, parsed, summary, rule_codes, result, candidates)
        if result.findings or result.suppressed:
            result.source_text = parsed.source.text
        self._step("recording dependencies")
        result.deps = sorted(str(p) for p in self.index.dependencies(path))
        result.missing = sorted(str(p) for p in self.index.missing_paths(path))
        if self.stamps:
            result.dep_stamps = {dep: self._dep_stamp(Path(dep)) for dep in result.deps}
        self.index.forget_tree(path)
        return result

    def _record_stamp(self, result: FileResult, data: Optional[bytes], stamp) -> None:
        if self.stamps and data is not None and stamp is not None:
            from .source import digest

            mtime, size, taken = stamp
            result.stamp = [mtime, size, digest(data), taken]

    def _dep_stamp(self, path: Path) -> Optional[list]:
        """The stamp of the dependency as the index read it (None: not known, never cached)."""
        from .source import digest

        parsed = self.index.cached(path)
        source = parsed.source if parsed is not None else None
        if source is None or source.stamp is None:
            return None
        mtime, size, taken = source.stamp
        return [mtime, size, digest(source.data), taken]

    @staticmethod
    def _parse_error(result: FileResult, shown: str, failure, active, source=None) -> None:
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
            self._step(rule.code)
            try:
                found = list(rule.check(ctx))
            except (RecursionError, FileTimeout):
                raise
            except Exception as exc:  # a rule bug must not hide other files' findings
                last = traceback.extract_tb(exc.__traceback__)[-1]
                where = f"{Path(last.filename).name}:{last.lineno}"
                result.internal_errors.append(
                    InternalError(shown, rule.code, f"{type(exc).__name__}: {exc} (at {where})")
                )
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


def _compile_error(parsed):
    """Errors Python reports only when it compiles (``return`` or ``yield`` outside a function,
    ``break`` outside a loop, ``nonlocal`` at module level, ...). Compiling runs nothing."""
    import warnings

    from .parsing import ParseFailure

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(parsed.tree, str(parsed.source.path if parsed.source else "<file>"), "exec", dont_inherit=True)
    except SyntaxError as err:
        return ParseFailure(f"syntax error: {err.msg}", err.lineno or 1, err.offset or 1)
    except (RecursionError, MemoryError, ValueError, TypeError):
        return None  # the nesting measure and the parser speak for these
    return None


# -- worker processes -------------------------------------------------------------------------
_WORKER: Optional[FileChecker] = None


def _init_worker(config: Config, codes: Set[str], rule_classes, stamps: bool, roots, set_step) -> None:
    global _WORKER
    import gc

    gc.disable()  # as in the main process: trees are freed by reference counting
    from .parsing import set_target_version

    set_target_version(config.target_version)
    if os.environ.get("ZLINT_TEST_WORKER_START_FAILS"):
        raise RuntimeError("worker start-up failure requested by ZLINT_TEST_WORKER_START_FAILS")
    _WORKER = FileChecker(config, rule_classes, codes, roots=roots, stamps=stamps, on_step=set_step)


def _check_in_worker(path: Path) -> FileResult:
    assert _WORKER is not None  # set by _init_worker in this process
    _WORKER._step("reading")
    _test_fault(path)
    try:
        result = _WORKER.check(path)
    except Exception as exc:  # keep one bad file from taking the run down
        error = InternalError(display_path(path), _WORKER.step, f"{type(exc).__name__}: {exc}")
        result = FileResult(Path(os.path.abspath(path)), internal_errors=[error])
    if _WORKER.clock is not None:  # profiling: what this file cost, sent back with its result
        _WORKER._step("idle")
        result.stage_times = _WORKER.clock.take()
    return result


def _test_fault(path: Path) -> None:
    """Tests only: ``ZLINT_TEST_WORKER_FAULT=name:crash|exit|hang`` makes the worker that checks
    the file called ``name`` die (as a native crash would), exit, or never finish (writing its
    process id to ``ZLINT_TEST_HANG_PIDFILE`` when that is set)."""
    fault = os.environ.get("ZLINT_TEST_WORKER_FAULT")
    if not fault:
        return
    name, _, kind = fault.partition(":")
    if path.name != name:
        return
    if kind == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif kind == "exit":
        os._exit(3)
    elif kind == "hang":
        marker = os.environ.get("ZLINT_TEST_HANG_PIDFILE")
        if marker:  # tells the test which process to kill
            Path(marker).write_text(str(os.getpid()))
        while True:
            time.sleep(1)


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def _run_parallel(
    files: Sequence[Path],
    config: Config,
    codes: Set[str],
    rule_classes,
    jobs: int,
    progress,
    stamps: bool,
    timeout: Optional[float],
    roots,
) -> List[FileResult]:
    from .pool import Lost, run_pool

    from .stages import run_stages

    outcomes = run_pool(
        files, jobs, _init_worker, (config, codes, rule_classes, stamps, roots), _check_in_worker, timeout, progress
    )
    stages = run_stages()
    results: List[FileResult] = []
    for outcome in outcomes:
        if stages is not None and isinstance(outcome, FileResult):
            stages.add_worker(outcome.stage_times)
            outcome.stage_times = None
        if isinstance(outcome, Lost):
            path = outcome.item
            message = (
                f"{outcome.reason} (the per-file time limit, --file-timeout)"
                if outcome.timed_out
                else f"worker process {outcome.reason}"
            )
            outcome = FileResult(
                Path(os.path.abspath(path)), internal_errors=[InternalError(display_path(path), outcome.step, message)]
            )
        results.append(outcome)
    if stages is not None:
        from .pool import LAST_START_UP

        for stage, seconds in LAST_START_UP.items():
            stages.add_main(stage, seconds)
    return results


def _expire(signum, frame):
    raise FileTimeout()


def _timer_usable(timeout: Optional[float]) -> bool:
    import threading

    return bool(timeout) and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _check_all_here(
    make: Callable[[], FileChecker], pending: Sequence[Path], timeout: Optional[float], keep_plans: bool, meter
) -> Tuple[List[FileResult], ProjectIndex]:
    """Check ``pending`` in this process; the results and the project index they used."""
    checker = make()
    fresh: List[FileResult] = []
    timeout = timeout if _timer_usable(timeout) else None
    previous = signal.signal(signal.SIGALRM, _expire) if timeout else None
    try:
        for done, path in enumerate(pending, start=1):
            try:
                fresh.append(_check_here(checker, path, timeout))
            except FileTimeout:
                message = f"took longer than {timeout:g} s (the per-file time limit, --file-timeout)"
                fresh.append(
                    FileResult(
                        Path(os.path.abspath(path)),
                        internal_errors=[InternalError(display_path(path), checker.step, message)],
                    )
                )
                if not keep_plans:  # what the index held half-built goes with it
                    checker = make()
            meter(done)
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return fresh, checker.index


def _check_here(checker: FileChecker, path: Path, timeout: Optional[float]) -> FileResult:
    """One file in this process, under the time limit where a timer signal can enforce it (the
    caller has installed ``_expire`` for SIGALRM)."""
    if not timeout:
        return checker.check(path)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return checker.check(path)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


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


DEFAULT_FILE_TIMEOUT = 60.0


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
    file_timeout: Optional[float] = None,
) -> RunResult:
    """Check ``paths``. ``jobs`` > 1 uses worker processes; ``cache_dir`` enables the cache (a
    path, or a function of each file's settings); ``keep_plans`` (for ``zlint fix``) runs in this
    process and keeps each finding's fix plan. ``settings`` (a ``Settings``) looks the settings up
    per file; without it ``config`` applies to every file. ``file_timeout`` (seconds; default:
    the configuration's, else 60; 0: none) limits each file."""
    from .discovery import discover_groups
    from .parsing import set_target_version
    from .settings_files import Settings

    rule_classes = list(rules) if rules is not None else _rule_classes()
    codes = validate_selection(config, rule_classes)
    if stdin is not None:
        set_target_version(config.target_version)
        return _check_stdin(stdin, config, rule_classes, codes)
    settings = settings or Settings.fixed(config)
    discovering = time.perf_counter()
    groups, warnings, unreadable = discover_groups(paths, settings)
    _charge("discovering files", discovering)
    # Every group's settings are validated before any file is read or any worker starts.
    group_codes = [validate_selection(group_config, rule_classes) for group_config, _ in groups]
    result = RunResult(warnings=warnings, files_checked=sum(len(files) for _, files in groups) + len(unreadable))
    for path, reason in unreadable:  # never skipped silently: a ZL000 unless ZL000 is off there
        if PARSE_ERROR_CODE not in validate_selection(settings.for_file(path), rule_classes):
            continue
        result.findings.append(
            Finding(PARSE_ERROR_CODE, "parse-error", reason, display_path(path), Position(1, 1), Position(1, 1))
        )
    for (group_config, files), codes in zip(groups, group_codes):
        set_target_version(group_config.target_version)
        directory = cache_dir(group_config) if callable(cache_dir) else cache_dir
        part = _check_files(
            files, group_config, rule_classes, codes, jobs, directory, keep_plans, progress, file_timeout
        )
        merging = time.perf_counter()
        result.findings.extend(part.findings)
        result.suppressed.extend(part.suppressed)
        result.internal_errors.extend(part.internal_errors)
        result.files_analysed += part.files_analysed
        result.files_from_cache += part.files_from_cache
        result.sources.update(part.sources)
        result.warnings.extend(part.warnings)
        if result.index is None:
            result.index = part.index
        _charge("merging results", merging)
    merging = time.perf_counter()
    result.findings.sort(key=Finding.sort_key)
    result.suppressed.sort(key=Finding.sort_key)
    result.internal_errors.sort(key=lambda e: (e.path, e.rule, e.message))
    _charge("merging results", merging)
    from .stages import run_stages

    stages = run_stages()
    if stages is not None:
        stages.report()
    return result


def _charge(stage: str, since: float) -> None:
    """Profiling only: charge the main process's time since ``since`` to ``stage``."""
    from .stages import run_stages

    stages = run_stages()
    if stages is not None:
        stages.add_main(stage, time.perf_counter() - since)


def _check_files(
    files,
    config: Config,
    rule_classes,
    codes,
    jobs,
    cache_dir,
    keep_plans,
    progress,
    file_timeout: Optional[float] = None,
) -> RunResult:
    result = RunResult(files_checked=len(files))
    if file_timeout is None:
        file_timeout = getattr(config, "file_timeout", None)
    timeout = DEFAULT_FILE_TIMEOUT if file_timeout is None else (float(file_timeout) or None)
    cache = None
    pending: List[Path] = list(files)
    per_file: List[FileResult] = []
    looking_up = time.perf_counter()
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
        result.warnings.extend(cache.warnings)
    _charge("cache look-up", looking_up)

    jobs = jobs if jobs is not None else default_jobs()
    roots = import_roots(config)
    stamps = cache is not None
    meter = _Progress(len(pending), progress)
    if not pending:
        fresh: List[FileResult] = []
    elif keep_plans or jobs <= 1 or len(pending) < 2 * jobs:
        make = lambda: FileChecker(config, rule_classes, codes, keep_plans=keep_plans, stamps=stamps, roots=roots)  # noqa: E731
        fresh, result.index = _check_all_here(make, pending, timeout, keep_plans, meter)
    else:
        fresh = _run_parallel(pending, config, codes, rule_classes, jobs, meter, stamps, timeout, roots)
    meter.close()
    merging = time.perf_counter()
    per_file.extend(fresh)

    if cache is not None:
        for item in fresh:
            if not item.internal_errors:
                cache.store(item)
        cache.save()
        if cache.dirty and cache.save_error and not cache.warnings:  # one warning about the cache
            result.warnings.append(cache.save_error)
    _charge("merging results", merging)
    merging = time.perf_counter()

    for item in per_file:
        result.findings.extend(item.findings)
        result.suppressed.extend(item.suppressed)
        result.internal_errors.extend(item.internal_errors)
        result.files_analysed += int(item.analysed)
        if item.source_text is not None:
            for finding in item.findings + item.suppressed:
                result.sources[finding.path] = item.source_text
    _charge("merging results", merging)
    return result
