"""Running the selected rules over the discovered files and collecting findings."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Type

from .config import Config
from .discovery import discover
from .findings import Finding, Position
from .index import ProjectIndex
from .rule import FileContext, Rule
from .selection import PARSE_ERROR_CODE, PerFileIgnores, selected_codes
from .suppression import is_suppressed, suppressions


@dataclass(frozen=True)
class InternalError:
    path: str
    rule: str
    message: str


@dataclass
class RunResult:
    findings: List[Finding] = field(default_factory=list)
    suppressed: List[Finding] = field(default_factory=list)
    internal_errors: List[InternalError] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    files_checked: int = 0
    index: Optional[ProjectIndex] = None


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path, Path.cwd())
    except ValueError:
        return str(path)


def _rule_classes() -> List[Type[Rule]]:
    from rules import ALL_RULES

    return list(ALL_RULES)


def search_roots(config: Config) -> List[Path]:
    roots = [config.project_root]
    roots.extend(config.src)
    if (config.project_root / "src").is_dir():
        roots.append(config.project_root / "src")
    return roots


def check_paths(paths: Sequence[Path], config: Config, rules: Optional[Sequence[Type[Rule]]] = None) -> RunResult:
    rule_classes = list(rules) if rules is not None else _rule_classes()
    codes = selected_codes(config, rule_classes)
    per_file = PerFileIgnores(config, rule_classes)
    files, warnings = discover(paths, config)
    index = ProjectIndex(search_roots(config))
    result = RunResult(warnings=warnings, index=index)
    for path in files:
        active = codes - per_file.ignored_codes(path)
        active_rules = [cls() for cls in rule_classes if cls.code in active]
        _check_file(path, index, active, active_rules, result, config)
    result.findings.sort(key=Finding.sort_key)
    result.suppressed.sort(key=Finding.sort_key)
    return result


def _check_file(path: Path, index: ProjectIndex, active, active_rules, result: RunResult, config: Config) -> None:
    shown = display_path(path)
    result.files_checked += 1
    parsed = index.parse(path)
    if parsed.failure is not None:
        if PARSE_ERROR_CODE in active:
            failure = parsed.failure
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
        return
    summary = index.load(path)
    if summary is None or not active_rules:
        return
    ctx = FileContext(path, shown, summary, index, config)
    table = None
    for rule in active_rules:
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
            if is_suppressed(finding.code, finding.suppression_lines, table or {}):
                result.suppressed.append(finding)
            else:
                result.findings.append(finding)
