"""Baselines: adopt zlint on old code by recording today's findings and reporting only new ones.

An entry is the rule, the file (relative to the project root) and a fingerprint of the
offending code: a hash of the rule, the file, the whitespace-normalised text of the finding's
first line and an occurrence number among identical lines in that file. Line numbers are not
part of it, so edits above a finding keep it baselined. Entries that no finding matches any more
are reported as stale.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .findings import Finding

_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or written; exit code 2."""


@dataclass(frozen=True)
class Entry:
    code: str
    path: str
    fingerprint: str


def _relative(path: str, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _line_text(path: str, line: int, cache: Dict[str, List[str]]) -> str:
    if path not in cache:
        try:
            from .source import read_source

            cache[path] = read_source(Path(path)).text.splitlines()
        except Exception:
            cache[path] = []
    lines = cache[path]
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return " ".join(text.split())


def fingerprints(
    findings: List[Finding], root: Path, sources: Optional[Dict[str, str]] = None
) -> List[Tuple[Finding, Entry]]:
    # The text the run read (standard input included); the disk only for cached results.
    cache: Dict[str, List[str]] = {path: text.splitlines() for path, text in (sources or {}).items()}
    seen: Counter = Counter()
    out = []
    for finding in sorted(findings, key=Finding.sort_key):
        rel = _relative(finding.path, root)
        text = _line_text(finding.path, finding.start.line, cache)
        key = (finding.code, rel, text)
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join([finding.code, rel, text, str(occurrence)]).encode()).hexdigest()[:20]
        out.append((finding, Entry(finding.code, rel, digest)))
    return out


def write_baseline(path: Path, findings: List[Finding], root: Path, sources: Optional[Dict[str, str]] = None) -> int:
    entries = [entry for _, entry in fingerprints(findings, root, sources)]
    document = {
        "version": _VERSION,
        "entries": [{"code": e.code, "path": e.path, "fingerprint": e.fingerprint} for e in entries],
    }
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(entries)


def read_baseline(path: Path) -> List[Entry]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("version") != _VERSION:
            raise ValueError(f"unsupported version {document.get('version')!r}")
        return [Entry(e["code"], e["path"], e["fingerprint"]) for e in document["entries"]]
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BaselineError(f"{path} is not a zlint baseline: {exc}") from None


def apply_baseline(
    findings: List[Finding], entries: List[Entry], root: Path, sources: Optional[Dict[str, str]] = None
) -> Tuple[List[Finding], List[Entry]]:
    """The findings not in the baseline, and the baseline entries nothing matched (stale)."""
    remaining = Counter(entries)
    new = []
    for finding, entry in fingerprints(findings, root, sources):
        if remaining[entry] > 0:
            remaining[entry] -= 1
        else:
            new.append(finding)
    stale = [entry for entry, count in remaining.items() for _ in range(count)]
    return sorted(new, key=Finding.sort_key), sorted(stale, key=lambda e: (e.path, e.code, e.fingerprint))
