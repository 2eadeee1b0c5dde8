"""``zlint server``: zlint as a language server for editors (needs the ``server`` extra)."""

from __future__ import annotations


def serve() -> None:
    from .app import serve as run

    run()
