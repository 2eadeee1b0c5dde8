"""The per-rule documentation pages (docs/rules/ZL001.md, ...), rendered from each rule's
docstring, and the URLs that SARIF's ``helpUri`` gives for them.

    python -m zlint.rule_pages docs/rules     # rewrite the committed pages

A test keeps the committed pages equal to what this renders.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict

from . import __version__

# Where the repository lives: the installed package's "Repository" project URL (pyproject.toml's
# [project.urls]); this stands in when zlint runs from a checkout that is not installed.
FALLBACK_REPOSITORY = "https://zlint.invalid/zlint"
_repository = None


def repository_url() -> str:
    global _repository
    if _repository is None:
        _repository = FALLBACK_REPOSITORY
        try:
            from importlib.metadata import PackageNotFoundError, metadata

            for entry in metadata("zlint").get_all("Project-URL") or []:
                label, _, url = entry.partition(",")
                if label.strip().lower() == "repository" and url.strip():
                    _repository = url.strip().rstrip("/")
        except (ImportError, PackageNotFoundError):
            pass
    return _repository


def help_uri(code: str) -> str:
    return f"{repository_url()}/blob/v{__version__}/docs/rules/{code}.md"


def render_pages() -> Dict[str, str]:
    """File name -> Markdown, one page per rule (ZL000 included) and an index."""
    from zlint.rules import ALL_RULES

    pages = {}
    index = [
        "# zlint rules",
        "",
        "Generated from the rules' docstrings by `python -m zlint.rule_pages docs/rules`.",
        "",
        "| Code | Name | Summary |",
        "| --- | --- | --- |",
    ]
    for rule in ALL_RULES:
        pages[f"{rule.code}.md"] = page_for(rule)
        index.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.summary()} |")
    pages["README.md"] = "\n".join(index) + "\n"
    return pages


def page_for(rule) -> str:
    fix = "Fix is available." if rule.fixable else "No fix is available."
    default = "On by default." if rule.default_enabled else "Off by default; enable it with `--select`."
    return _page(rule.code, rule.name, f"{default} {fix}", rule.docs())


def _page(code: str, name: str, status: str, docs: str) -> str:
    return f"# {name} ({code})\n\n{status}\n\n{docs.strip()}\n"


def write_pages(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in render_pages().items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - exercised by the docs test through a subprocess
    write_pages(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"))
