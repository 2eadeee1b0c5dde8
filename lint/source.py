"""Reading files as bytes and decoding them the way Python itself would."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from pathlib import Path


class SourceError(Exception):
    """A file that could not be read or decoded; reported as ZL000."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: bytes
    text: str
    encoding: str

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


def read_source(path: Path) -> SourceFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    text, encoding = decode(data)
    return SourceFile(path=path, data=data, text=text, encoding=encoding)
