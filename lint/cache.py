"""The result cache: per-file findings keyed by content, invalidated through dependencies.

One JSON file per combination of zlint version, selected rules and configuration, under the
cache directory (default ``.zlint_cache`` in the project root; ``--cache-dir``, the
``ZLINT_CACHE_DIR`` environment variable or ``cache-dir`` in the config move it; ``--no-cache``
skips it; ``zlint clean`` removes it). An entry is reused when the file's size and modification
time are unchanged, or else its content hash is; and the same holds for every file that name
resolution looked into while the file was checked (so editing an imported class re-checks its
importers), while every path recorded as missing (a module an import did not find there) still
does not exist.

Stamps and hashes are those of the bytes the checker read, taken before the analysis: a file
edited during a run is re-checked by the next one. A modification time that was recent when the
stamp was taken may be shared by a later edit of the same size (file systems keep times in ticks),
so such entries are trusted only after their hash is checked again, as git does for racy index
entries. Anything unexpected in the cache file (not a regular file, too large, not the expected
JSON) is a miss: the file is rewritten and one warning says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Set

from . import __version__
from .findings import ChainLink, Finding, Position

CACHE_DIR_NAME = ".zlint_cache"
_FORMAT = 2
_MAX_BYTES = 512 * 1024 * 1024  # a cache file larger than this is not read
# A modification time this close to the moment the stamp was taken may be shared by a later edit.
_RACY_NS = 3 * 1_000_000_000


def _digest(path: Path) -> Optional[str]:
    from .source import read_stamped

    try:
        data, _ = read_stamped(path)
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest()


def _stamp(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _valid_stamp(value) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 4
        and all(type(v) is int for v in value[:2])
        and isinstance(value[2], str)
        and type(value[3]) is int
    )


class _Corrupt(Exception):
    """The cache file does not hold what zlint writes."""


def _finding_to_json(finding: Finding) -> dict:
    data = asdict(finding)
    data.pop("fix_plan", None)
    data.pop("path", None)
    return data


def _finding_from_json(data: dict, shown: str) -> Finding:
    return Finding(
        code=data["code"],
        name=data["name"],
        message=data["message"],
        path=shown,
        start=Position(**data["start"]),
        end=Position(**data["end"]),
        chain=tuple(ChainLink(**link) for link in data["chain"]),
        fixable=data["fixable"],
        fix_title=data["fix_title"],
        fix_applicability=data["fix_applicability"],
        fix_note=data["fix_note"],
        suppression_lines=tuple(data["suppression_lines"]),
    )


def cache_key(config, codes: Set[str]) -> str:
    settings = {
        "version": __version__,
        "format": _FORMAT,
        "codes": sorted(codes),
        "per_file_ignores": config.per_file_ignores,
        "src": [str(p) for p in config.src],
        "template": config.parameter_template,
        "root": str(config.project_root),
        "target": list(getattr(config, "target_version", None) or ()),
        "check_syntax": bool(getattr(config, "check_syntax", False)),
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:20]


class Cache:
    def __init__(self, directory: Path, key: str, entries: Dict[str, dict], warnings: Optional[List[str]] = None):
        self.directory = directory
        self.file = directory / f"results-{key}.json"
        self.entries = entries
        self.dirty = bool(warnings)  # an unreadable cache file is rewritten
        self.warnings: List[str] = list(warnings or [])
        self.save_error: Optional[str] = None  # why the cache could not be written, for a warning
        self._dep_ok: Dict[str, bool] = {}

    @classmethod
    def open(cls, directory: Path, config, codes: Set[str]) -> "Cache":
        key = cache_key(config, codes)
        path = directory / f"results-{key}.json"
        try:
            entries = _read_entries(path)
        except (FileNotFoundError, NotADirectoryError):  # no cache yet (or no folder for one)
            return cls(directory, key, {})
        except (OSError, ValueError, _Corrupt, RecursionError, MemoryError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            return cls(
                directory, key, {}, [f"ignoring the unreadable cache file {path} ({reason}); it will be rewritten"]
            )
        return cls(directory, key, entries)

    def _warn_corrupt(self) -> None:
        if not self.warnings:
            self.warnings.append(f"ignoring damaged entries in the cache file {self.file}; it will be rewritten")
        self.dirty = True

    def _fresh(self, path: Path, recorded) -> bool:
        """Whether ``path`` still holds what was recorded ([mtime_ns, size, digest, taken_ns]). A
        touched file gets its new time recorded, so the next run need not hash it again; so does
        a racy one (time close to when it was stamped) once its hash is confirmed."""
        stamp = _stamp(path)
        if stamp is None:
            return False
        racy = recorded[3] - recorded[0] < _RACY_NS
        if stamp == recorded[:2] and not racy:
            return True
        if stamp[1] != recorded[1] or _digest(path) != recorded[2]:
            return False
        import time

        now = time.time_ns()
        if stamp[0] <= now - _RACY_NS:  # old enough now: the next run can trust time and size
            recorded[0], recorded[1], recorded[3] = stamp[0], stamp[1], now
            self.dirty = True
        return True

    def lookup(self, path: Path):
        resolved = Path(os.path.abspath(path))
        entry = self.entries.get(str(resolved))
        if entry is None:
            return None
        try:
            return self._lookup(path, resolved, entry)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            self.entries.pop(str(resolved), None)
            self._warn_corrupt()
            return None

    def _lookup(self, path: Path, resolved: Path, entry):
        from .results import FileResult, display_path

        if not isinstance(entry, dict) or not _valid_stamp(entry["stamp"]):
            raise ValueError("bad entry")
        if not self._fresh(resolved, entry["stamp"]):
            return None
        for dep, recorded in entry["deps"].items():
            ok = self._dep_ok.get(dep)
            if ok is None:
                if not _valid_stamp(recorded):
                    raise ValueError("bad dependency")
                ok = self._fresh(Path(dep), recorded)
                self._dep_ok[dep] = ok
            if not ok:
                return None
        for missing in entry["missing"]:
            if os.path.lexists(missing):
                return None
        shown = display_path(path) if entry["findings"] or entry["suppressed"] else ""
        return FileResult(
            resolved,
            findings=[_finding_from_json(f, shown) for f in entry["findings"]],
            suppressed=[_finding_from_json(f, shown) for f in entry["suppressed"]],
            deps=list(entry["deps"]),
            missing=list(entry["missing"]),
            analysed=bool(entry["analysed"]),
        )

    def store(self, result) -> None:
        """Record ``result`` with the stamps the checker took of what it read; a result without
        them (or with a dependency whose stamp is unknown) is not cached."""
        if result.stamp is None:
            return
        deps = {}
        for dep in result.deps:
            recorded = result.dep_stamps.get(dep)
            if recorded is None:
                return
            deps[dep] = list(recorded)
        self.entries[str(result.path)] = {
            "stamp": list(result.stamp),
            "deps": deps,
            "missing": sorted(str(p) for p in result.missing),
            "analysed": result.analysed,
            "findings": [_finding_to_json(f) for f in result.findings],
            "suppressed": [_finding_to_json(f) for f in result.suppressed],
        }
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        temp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tag = self.directory / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# zlint's result cache.\n")
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n")
            fd, temp = tempfile.mkstemp(prefix=".results-", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"format": _FORMAT, "files": self.entries}, handle, separators=(",", ":"))
            os.replace(temp, self.file)
            temp = None
        except OSError as exc:  # a cache that cannot be written only costs time: warn, go on
            self.save_error = (
                f"cannot write the cache in {self.directory}: {exc.strerror or exc} (the next run starts cold)"
            )
        finally:
            if temp is not None:  # interrupted or failed: no half-written file stays behind
                try:
                    os.unlink(temp)
                except OSError:
                    pass


def _read_entries(path: Path) -> Dict[str, dict]:
    """The entries of the cache file at ``path``, read without blocking on a FIFO or device and
    without reading more than ``_MAX_BYTES``; ``_Corrupt`` when they are not what zlint writes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise _Corrupt("not a regular file")
        if status.st_size > _MAX_BYTES:
            raise _Corrupt("too large")
        data = handle.read(_MAX_BYTES + 1)
    if len(data) > _MAX_BYTES:
        raise _Corrupt("too large")
    document = json.loads(data.decode("utf-8"))
    if not isinstance(document, dict):
        raise _Corrupt("not a JSON object")
    if document.get("format") != _FORMAT:
        return {}  # written by another version: rewritten without a word
    entries = document.get("files")
    if not isinstance(entries, dict):
        raise _Corrupt("no table of files")
    return entries


def clean(directory: Path) -> bool:
    import shutil

    if directory.is_dir():
        shutil.rmtree(directory)
        return True
    return False
