"""Reading files as bytes and decoding them the way Python itself would."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional


class SourceError(Exception):
    """A file that could not be read or decoded; reported as ZL000."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: bytes
    text: str
    encoding: str
    # [mtime_ns, size, when the stamp was taken (ns)] of exactly the bytes read: the cache
    # records what was analysed, not what the file holds when the run ends.
    stamp: Optional[List] = field(default=None, compare=False, repr=False)

    @property
    def lines(self):
        return self.text.splitlines()


def decode(data: bytes) -> tuple[str, str]:
    """Decode per PEP 263 (coding cookie) and PEP 3120 (UTF-8 default, BOM aware)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"cannot determine encoding: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def read_stamped(path: Path):
    """The bytes of ``path`` and the stamp of what was read: the status is taken before reading, so
    an edit during the read shows up as a changed time or size on the next run."""
    taken = time.time_ns()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:  # not blocking: a FIFO is refused, never waited on
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise OSError(0, "not a regular file")
        data = handle.read()
    return data, [status.st_mtime_ns, status.st_size, taken]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path):
    """The bytes of ``path`` and their stamp (see ``read_stamped``); SourceError when unreadable."""
    try:
        return read_stamped(path)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None


def read_source(path: Path) -> SourceFile:
    data, stamp = read_bytes(path)
    text, encoding = decode(data)
    return SourceFile(path=path, data=data, text=text, encoding=encoding, stamp=stamp)
