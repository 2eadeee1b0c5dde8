"""``--output-format json``: a stable, documented schema (docs/json-output.schema.json)."""

from __future__ import annotations

import json
from typing import TextIO

from .. import __version__
from ..findings import Finding
from ..results import RunResult

SCHEMA_VERSION = 1


def finding_to_dict(finding: Finding) -> dict:
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "filename": finding.path,
        "location": {"row": finding.start.line, "column": finding.start.column},
        "end_location": {"row": finding.end.line, "column": finding.end.column},
        "fixable": finding.fixable,
        "fix_title": finding.fix_title or None,
        "fix_applicability": finding.fix_applicability,
        "fix_note": finding.fix_note or None,
        "confirmed_at_runtime": finding.confirmed,
        "runtime_only": finding.runtime_only,
        "chain": [
            {
                "expression": link.expression,
                "class": link.class_name,
                "resolved": link.resolved,
                "reason": link.reason or None,
            }
            for link in finding.chain
        ],
    }


def write_json(result: RunResult, out: TextIO, options: dict) -> None:
    document = {
        "version": SCHEMA_VERSION,
        "zlint_version": __version__,
        "files_checked": result.files_checked,
        "findings": [finding_to_dict(f) for f in result.findings],
        "internal_errors": [{"filename": e.path, "code": e.rule, "message": e.message} for e in result.internal_errors],
    }
    if options.get("show_suppressed"):
        document["suppressed"] = [finding_to_dict(f) for f in result.suppressed]
    json.dump(document, out, indent=2)
    out.write("\n")
