"""SARIF ``fixes`` for a run that used the cache and the workers: a second pass, in this
process, over only the files that have fixable findings, planning their fixes (LibCST parses of
those files and of the files the fixes reach, nothing else).

The fixes are kept beside the result cache (``sarif-fixes.json``) with the size, time and hash
of every file the second pass read, so a warm run that changed none of them reads them back
instead of planning again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..fix.edits import FileFix
from ..results import RunResult

FindingKey = Tuple[str, int, int, str]
_FORMAT = 2  # 2: each change is a FileFix (hash of the planned-against text, line spans)


def finding_key(finding) -> FindingKey:
    return (os.path.abspath(finding.path), finding.start.line, finding.start.column, finding.code)


def _key_text(key: FindingKey) -> str:
    return "|".join(str(part) for part in key)


def _stamp(path: str) -> Optional[list]:
    try:
        st = os.stat(path)
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, digest]


def _unchanged(path: str, recorded: list) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    if [st.st_mtime_ns, st.st_size] == recorded[:2]:
        return True
    current = _stamp(path)
    return current is not None and current[2] == recorded[2]


def _cache_file(cache_dir, settings, first: str) -> Optional[Path]:
    if cache_dir is None:
        return None
    directory = cache_dir(settings.for_file(Path(first))) if callable(cache_dir) else Path(cache_dir)
    return Path(directory) / "sarif-fixes.json"


def _read(cache_file: Optional[Path], wanted: List[str], tag: str) -> Optional[Dict[FindingKey, list]]:
    if cache_file is None:
        return None
    try:
        with cache_file.open("r", encoding="utf-8") as handle:
            document = json.load(handle)
        if document.get("format") != _FORMAT or document.get("tag") != tag or document.get("wanted") != wanted:
            return None
        if not all(_unchanged(path, recorded) for path, recorded in document["read"].items()):
            return None
        return {
            _parse_key(k): [FileFix.from_json(change) for change in changes]
            for k, changes in document["changes"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # a cache of the wrong shape is a miss


def _parse_key(text: str) -> FindingKey:
    path, line, column, code = text.rsplit("|", 3)
    return (path, int(line), int(column), code)


def _write(cache_file: Optional[Path], wanted: List[str], tag: str, read: List[str], changes) -> None:
    if cache_file is None:
        return
    stamps = {}
    for path in read:
        stamp = _stamp(path)
        if stamp is None:
            return
        stamps[path] = stamp
    document = {
        "format": _FORMAT,
        "tag": tag,
        "wanted": wanted,
        "read": stamps,
        "changes": {_key_text(k): [c.to_json() for c in v] for k, v in changes.items()},
    }
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".sarif-fixes-", suffix=".tmp", dir=cache_file.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"))
        os.replace(temp, cache_file)
    except OSError:
        pass  # only costs time; the result cache warns about an unwritable folder


def fix_changes(run: RunResult, settings, cache_dir=None) -> Dict[FindingKey, List[FileFix]]:
    """For each finding with a safe fix, the files its fix rewrites. Findings whose fix cannot
    be built are left without one."""
    from .. import __version__

    fixable = [f for f in run.findings + run.suppressed if f.fixable]
    if not fixable:
        return {}
    files = sorted({os.path.abspath(f.path) for f in fixable})
    wanted_keys = {finding_key(f) for f in fixable}
    wanted = sorted(_key_text(k) for k in wanted_keys)
    first = settings.for_file(Path(files[0]))
    tag = f"{__version__}|{first.config_file}|{first.parameter_template}|{first.target_version}"
    cache_file = _cache_file(cache_dir, settings, files[0])
    cached = _read(cache_file, wanted, tag)
    if cached is not None:
        return cached

    from ..fix.apply import FixError, build_edits
    from ..runner import check_paths

    planned = check_paths([Path(p) for p in files], first, keep_plans=True, progress=False, settings=settings)
    changes: Dict[FindingKey, List[FileFix]] = {}
    for finding in planned.findings + planned.suppressed:
        key = finding_key(finding)
        if key not in wanted_keys or finding.fix_plan is None or planned.index is None:
            continue
        try:
            originals = {s.path: _data(planned.index.parse(s.path).source) for s in finding.fix_plan.files.values()}
            edits = build_edits(finding.fix_plan, originals)
        except (FixError, OSError, AttributeError):
            continue
        changes[key] = [
            FileFix.between(str(edit.path), edit.old.decode("utf-8", "replace"), edit.new.decode("utf-8", "replace"))
            for edit in edits
        ]
    read = sorted({str(p) for p in getattr(planned.index, "loaded_paths", ())} | set(files))
    _write(cache_file, wanted, tag, read, changes)
    return changes


def _data(source):
    """The bytes a parsed file was read from (every file a plan edits was read: it parsed)."""
    if source is None:
        raise OSError("the file was not read")
    return source.data
