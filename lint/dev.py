"""Tools for zlint's own developers.

    python -m zlint.dev new-rule ZL008 my-rule-name [--rules-dir rules] [--docs-dir docs/rules]

writes ``rules/zl008_my_rule_name.py`` from the template below (a rule class with its docs,
valid and invalid examples) and its docs page. The registry finds the file by its name: nothing
else needs editing. Fill in the docs, the examples and ``check``; the example tests run it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import List, Optional

TEMPLATE = '''"""{code}: {summary}"""

from __future__ import annotations

from typing import Iterable

from zlint.findings import Finding
from zlint.rule import Invalid, Rule, Valid


class {class_name}(Rule):
    """{summary}

    ## What it does
    Describe what the rule finds, in the user's terms.

    ## Why is this bad?
    Say what breaks (under a block cache, hooks, torch.compile, concurrent requests...).

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x):
            return x
    ```

    ## Fix
    Say what to write instead, and whether zlint can rewrite it.
    """

    code = "{code}"
    name = "{name}"
    default_enabled = False  # new rules start opt-in until the ecosystem check shows their precision
    # What the pre-filter must keep for this rule (see zlint.rule.Rule); the default keeps every
    # file that defines a forward, which is always sound and only slower.

    def check(self, ctx) -> Iterable[Finding]:
        return ()

    invalid = (
        Invalid("""
            class Model(nn.Module):
                def forward(self, x):
                    return x  # expect: {code}
        """),
    )
    valid = (
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    return x
        """),
    )
'''

_CODE = re.compile(r"^ZL\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def new_rule(code: str, name: str, rules_dir: Path, docs_dir: Optional[Path]) -> List[Path]:
    code = code.upper()
    if not _CODE.match(code):
        raise ValueError(f"a rule code is ZL and three digits, got {code!r}")
    if not _NAME.match(name):
        raise ValueError(f"a rule name is lower-case words joined by hyphens, got {name!r}")
    taken = sorted(rules_dir.glob(f"{code.lower()}_*.py"))
    if taken:
        raise ValueError(f"{code} is taken by {taken[0]}")
    target = rules_dir / f"{code.lower()}_{name.replace('-', '_')}.py"
    class_name = "".join(part.capitalize() for part in name.split("-"))
    summary = name.replace("-", " ").capitalize() + "."
    target.write_text(TEMPLATE.format(code=code, name=name, class_name=class_name, summary=summary), encoding="utf-8")
    written = [target]
    if docs_dir is not None:
        written.append(_write_page(target, class_name, docs_dir))
    return written


def _write_page(module_path: Path, class_name: str, docs_dir: Path) -> Path:
    """The rule's docs page, rendered as ``python -m zlint.rule_pages`` renders every page."""
    import importlib.util

    from .rule_pages import page_for

    spec = importlib.util.spec_from_file_location(f"_zlint_new_rule_{module_path.stem}", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rule = getattr(module, class_name)
    page = docs_dir / f"{rule.code}.md"
    page.write_text(page_for(rule), encoding="utf-8")
    return page


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zlint.dev")
    commands = parser.add_subparsers(dest="command", required=True)
    rule = commands.add_parser("new-rule", help="write a new rule module from the template")
    rule.add_argument("code", help="ZL and three digits, e.g. ZL008")
    rule.add_argument("name", help="lower-case words joined by hyphens")
    rule.add_argument("--rules-dir", type=Path, default=Path("rules"))
    rule.add_argument("--docs-dir", type=Path, default=Path("docs/rules"))
    args = parser.parse_args(argv)
    if not args.rules_dir.is_dir():
        print(
            f"error: {args.rules_dir} is not a folder (run from the repository root, or pass --rules-dir)",
            file=sys.stderr,
        )
        return 2
    try:
        written = new_rule(args.code, args.name, args.rules_dir, args.docs_dir if args.docs_dir.is_dir() else None)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
