"""Writing a multi-file fix as one transaction.

A fix that threads a value from a parent class into a child edits several files; a tree with
only some of them rewritten fails at run time (the parent passes an argument the child does not
take yet). So every fix is written in the following order, under a lock on the project root:

1. the journal ``.zlint-fix.journal`` (state ``staging``) names every target and the temporary
   file that will hold its new content;
2. the temporary files are written and synced, with the target's owner, group and mode;
3. the journal is rewritten with state ``committing``: from here on the fix is decided;
4. each temporary file is renamed over its target; 5. the journal is removed.

The next ``zlint fix`` or ``zlint check`` on the tree, before anything else, finds a journal left
by an interrupted fix and finishes it (``committing``: the remaining renames) or rolls it back
(``staging``: the temporary files are removed, no target was touched). Renames and the journal
are each atomic, so at every moment the tree can be brought to "all old" or "all new".

The lock (``flock`` on ``.zlint-fix.lock``) makes a second fix on the same tree wait until the
first is done; it then plans against the files the first one wrote.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import signal
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

JOURNAL = ".zlint-fix.journal"
LOCK = ".zlint-fix.lock"
TEMP_SUFFIX = ".zlint-tmp"


class TransactionError(Exception):
    """A fix that cannot be written; nothing has been changed."""


# -- test hook -------------------------------------------------------------------------------
_points = 0


def _point() -> None:
    """Tests only: ``ZLINT_TEST_KILL_AT=k`` kills the process at the k-th write point (each file
    written, synced, renamed or removed by the transaction), to prove recovery from any moment."""
    global _points
    value = os.environ.get("ZLINT_TEST_KILL_AT")
    if value and value.isdigit():
        _points += 1
        if _points == int(value):
            os.kill(os.getpid(), signal.SIGKILL)


# -- the lock --------------------------------------------------------------------------------
_held: Dict[str, int] = {}


@contextmanager
def fix_lock(root: Path, wait: float = 600.0) -> Iterator[None]:
    """Hold the fix lock of ``root`` (re-entrant in one process); another fix waits up to ``wait``
    seconds, then gives up with ``TransactionError``. Any interrupted fix is recovered first."""
    key = os.path.realpath(root)
    if key in _held:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock, recovery still runs
        fcntl = None  # type: ignore[assignment]
    path = os.path.join(key, LOCK)
    fd = -1
    if fcntl is not None:
        deadline = time.monotonic() + wait
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                    fd = -1  # a folder nobody may write to: no fix can write there either
                    break
                raise TransactionError(f"cannot lock {path}: {exc.strerror or exc}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise TransactionError(f"cannot lock {path}: {exc.strerror or exc}") from None
                if time.monotonic() > deadline:
                    raise TransactionError(
                        f"another zlint fix is still running on {key}; no file was changed"
                    ) from None
                time.sleep(0.05)
                continue
            try:  # the holder before us may have removed the file we locked: lock the new one
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except OSError:
                same = False
            if same:
                break
            os.close(fd)
    _held[key] = fd
    try:
        recover(Path(key))
        yield
    finally:
        del _held[key]
        if fd >= 0:
            try:
                os.unlink(path)
            except OSError:
                pass
            os.close(fd)


# -- the journal -----------------------------------------------------------------------------
def _write_journal(root: Path, state: str, entries: List[dict]) -> None:
    path = root / JOURNAL
    temp = root / (JOURNAL + TEMP_SUFFIX)
    data = json.dumps({"state": state, "files": entries}, indent=1).encode()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    _point()
    os.replace(temp, path)
    _sync_dir(root)
    _point()


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recover(root: Path) -> Optional[str]:
    """Finish or roll back a fix interrupted in ``root``; what was done, or None."""
    journal = root / JOURNAL
    _remove(root / (JOURNAL + TEMP_SUFFIX))
    try:
        document = json.loads(journal.read_bytes())
        state, entries = document["state"], document["files"]
        targets = [(Path(e["target"]), Path(e["temp"]), e["old"]) for e in entries]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        _remove(journal)  # unreadable: it was never completed, so no target was touched
        return "removed an unreadable fix journal"
    if state == "committing":
        for target, temp, old in targets:
            if not temp.exists():
                continue  # renamed before the interruption
            try:
                untouched = _sha(target.read_bytes()) == old
            except OSError:
                untouched = False
            if untouched:
                os.replace(temp, target)
                _sync_dir(target.parent)
            else:  # edited by hand since: the edit wins, the fix of this file is dropped
                _remove(temp)
        outcome = "finished an interrupted fix"
    else:
        for _target, temp, _old in targets:
            _remove(temp)
        outcome = "rolled back an interrupted fix"
    _remove(journal)
    _sync_dir(root)
    return outcome


# -- writing ---------------------------------------------------------------------------------
def _check_target(path: Path, old: bytes) -> os.stat_result:
    try:
        status = os.stat(path)
        current = path.read_bytes()
    except OSError as exc:
        raise TransactionError(f"cannot read {path}: {exc.strerror or exc}; no file was changed") from None
    if _sha(current) != _sha(old):
        raise TransactionError(f"{path} changed while the fix was planned; no file was changed")
    # The mode bits, not only os.access: root may write anything, but a read-only file is a
    # statement of its owner that a fixer should respect.
    if not status.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise TransactionError(f"{path} is not writable; no file was changed")
    if not os.access(path.parent, os.W_OK):
        raise TransactionError(f"{path.parent} is not writable; no file was changed")
    return status


def write_transaction(root: Path, edits: Sequence) -> None:
    """Write every ``edit`` (``path``, ``old``, ``new`` bytes) or, after a crash, let the next run
    finish or undo them all. Raises ``TransactionError`` with nothing changed."""
    if not edits:
        return
    root = Path(os.path.realpath(root))
    with fix_lock(root):
        statuses = [_check_target(edit.path, edit.old) for edit in edits]
        entries = []
        for edit in edits:
            temp = edit.path.parent / f".{edit.path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
            entries.append({"target": str(edit.path), "temp": str(temp), "old": _sha(edit.old), "new": _sha(edit.new)})
        _write_journal(root, "staging", entries)
        try:
            for edit, status, entry in zip(edits, statuses, entries):
                _stage(Path(entry["temp"]), edit.path, edit.new, status)
        except BaseException:
            for entry in entries:
                _remove(Path(entry["temp"]))
            _remove(root / JOURNAL)
            raise
        _write_journal(root, "committing", entries)
        for index, entry in enumerate(entries):
            _legacy_kill(index)
            os.replace(entry["temp"], entry["target"])
            _point()
        for folder in {Path(entry["target"]).parent for entry in entries}:
            _sync_dir(folder)
        _remove(root / JOURNAL)
        _sync_dir(root)
        _point()


def _stage(temp: Path, target: Path, data: bytes, status: os.stat_result) -> None:
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _point()
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if hasattr(os, "fchown"):
            try:
                os.fchown(fd, status.st_uid, status.st_gid)
            except PermissionError:
                mine = os.fstat(fd)
                if (mine.st_uid, mine.st_gid) != (status.st_uid, status.st_gid):
                    raise TransactionError(
                        f"cannot keep the owner and group of {target}; no file was changed"
                    ) from None
        os.fchmod(fd, stat.S_IMODE(status.st_mode))
        os.fsync(fd)
    finally:
        os.close(fd)
    _point()


def _legacy_kill(done: int) -> None:
    """Tests only: ``ZLINT_TEST_KILL_AFTER_WRITES=N`` kills the process after N renames."""
    value = os.environ.get("ZLINT_TEST_KILL_AFTER_WRITES")
    if value and value.isdigit() and int(value) == done:
        os.kill(os.getpid(), signal.SIGKILL)
