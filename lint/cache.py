"""The result cache: per-file findings keyed by content, invalidated through dependencies.

One JSON file per combination of zlint version, selected rules and configuration, under the
cache directory (default ``.zlint_cache`` in the project root; ``--cache-dir``, the
``ZLINT_CACHE_DIR`` environment variable or ``cache-dir`` in the config move it; ``--no-cache``
skips it; ``zlint clean`` removes it). An entry is reused when the file's size and modification
time are unchanged, or else its content hash is; and the same holds for every file that name
resolution looked into while the file was checked (so editing an imported class re-checks its
importers).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Dict, Optional, Set

from . import __version__
from .findings import ChainLink, Finding, Position

CACHE_DIR_NAME = ".zlint_cache"
_FORMAT = 1


def _digest(path: Path) -> Optional[str]:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _stamp(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


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
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:20]


class Cache:
    def __init__(self, directory: Path, key: str, entries: Dict[str, dict]):
        self.directory = directory
        self.file = directory / f"results-{key}.json"
        self.entries = entries
        self.dirty = False
        self.save_error: Optional[str] = None  # why the cache could not be written, for a warning
        self._dep_ok: Dict[str, bool] = {}

    @classmethod
    def open(cls, directory: Path, config, codes: Set[str]) -> "Cache":
        key = cache_key(config, codes)
        path = directory / f"results-{key}.json"
        entries: Dict[str, dict] = {}
        try:
            with path.open("r", encoding="utf-8") as handle:
                document = json.load(handle)
            if document.get("format") == _FORMAT:
                entries = document.get("files", {})
        except (OSError, ValueError):
            entries = {}
        return cls(directory, key, entries)

    def _fresh(self, path: Path, recorded) -> bool:
        """Whether ``path`` still has the recorded [mtime_ns, size, digest]; a file that was only
        touched gets its new time recorded, so the next run need not hash it again."""
        stamp = _stamp(path)
        if stamp is None:
            return False
        if stamp == recorded[:2]:
            return True
        if _digest(path) != recorded[2]:
            return False
        recorded[:2] = stamp
        self.dirty = True
        return True

    def lookup(self, path: Path):
        from .runner import FileResult, display_path

        resolved = Path(os.path.abspath(path))
        entry = self.entries.get(str(resolved))
        if entry is None:
            return None
        if not self._fresh(resolved, entry["stamp"]):
            return None
        for dep, recorded in entry["deps"].items():
            ok = self._dep_ok.get(dep)
            if ok is None:
                ok = self._fresh(Path(dep), recorded)
                self._dep_ok[dep] = ok
            if not ok:
                return None
        shown = display_path(path) if entry["findings"] or entry["suppressed"] else ""
        return FileResult(
            resolved,
            findings=[_finding_from_json(f, shown) for f in entry["findings"]],
            suppressed=[_finding_from_json(f, shown) for f in entry["suppressed"]],
            deps=list(entry["deps"]),
            analysed=entry["analysed"],
        )

    def store(self, result) -> None:
        stamp = _stamp(result.path)
        digest = _digest(result.path)
        if stamp is None or digest is None:
            return
        deps = {}
        for dep in result.deps:
            dep_path = Path(dep)
            dep_stamp, dep_digest = _stamp(dep_path), _digest(dep_path)
            if dep_stamp is None or dep_digest is None:
                return  # a dependency vanished meanwhile: do not cache
            deps[dep] = dep_stamp + [dep_digest]
        self.entries[str(result.path)] = {
            "stamp": stamp + [digest],
            "deps": deps,
            "analysed": result.analysed,
            "findings": [_finding_to_json(f) for f in result.findings],
            "suppressed": [_finding_to_json(f) for f in result.suppressed],
        }
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
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
        except OSError as exc:  # a cache that cannot be written only costs time: warn, go on
            self.save_error = f"cannot write the cache in {self.directory}: {exc.strerror or exc} (the next run starts cold)"


def clean(directory: Path) -> bool:
    import shutil

    if directory.is_dir():
        shutil.rmtree(directory)
        return True
    return False
