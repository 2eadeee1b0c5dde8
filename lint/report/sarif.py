"""``--output-format sarif``: SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDEs)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO

from .. import __version__
from ..findings import Finding
from ..runner import RunResult
from .severity import severity_of

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/zlint/"


def _rules():
    from zlint.rules import ALL_RULES

    from ..selection import PARSE_ERROR_CODE, PARSE_ERROR_DOCS, PARSE_ERROR_NAME, PARSE_ERROR_SUMMARY

    parse_error = {
        "id": PARSE_ERROR_CODE,
        "name": PARSE_ERROR_NAME,
        "shortDescription": {"text": PARSE_ERROR_SUMMARY},
        "fullDescription": {"text": "zlint could not read or parse this file, so it was not checked."},
        "help": {"text": PARSE_ERROR_DOCS, "markdown": PARSE_ERROR_DOCS},
        "defaultConfiguration": {"level": "error"},
    }
    out = [parse_error]
    for rule in ALL_RULES:
        sections = rule.doc_sections()
        out.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary()},
                "fullDescription": {"text": sections.get("What it does", rule.summary())},
                "help": {"text": rule.docs(), "markdown": rule.docs()},
                "defaultConfiguration": {"level": "warning" if rule.severity == "warning" else "error", "enabled": rule.default_enabled},
                "properties": {"fixable": rule.fixable},
            }
        )
    return out


def _uri(path: str) -> str:
    return Path(path).as_posix()


def _region(f: Finding) -> dict:
    return {"startLine": f.start.line, "startColumn": f.start.column, "endLine": f.end.line, "endColumn": f.end.column}


def _result(f: Finding, index: dict, fixes: dict, suppressed: bool) -> dict:
    level = "warning" if severity_of(f.code) == "warning" else "error"
    result = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": level,
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "SRCROOT"},
                    "region": _region(f),
                }
            }
        ],
    }
    if f.chain:
        result["properties"] = {"chain": f.chain_text()}
    changes = fixes.get(id(f))
    if changes:
        result["fixes"] = [{"description": {"text": f.fix_title}, "artifactChanges": changes}]
    if suppressed:
        result["suppressions"] = [{"kind": "inSource"}]
    return result


def write_sarif(result: RunResult, out: TextIO, options: dict) -> None:
    rules = _rules()
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = [_result(f, index, options.get("fixes", {}), False) for f in result.findings]
    if options.get("show_suppressed"):
        results += [_result(f, index, options.get("fixes", {}), True) for f in result.suppressed]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "zlint",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": Path(os.getcwd()).as_uri() + "/"}},
                "invocations": [_invocation(result)],
                "results": results,
            }
        ],
    }
    json.dump(document, out, indent=2)
    out.write("\n")


def _invocation(run: RunResult) -> dict:
    """Internal errors as tool execution notifications: a file zlint could not analyse is never
    mistaken for a clean one."""
    return {
        "executionSuccessful": not run.internal_errors,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": f"internal error in {error.rule}: {error.message}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(error.path), "uriBaseId": "SRCROOT"}}}],
            }
            for error in run.internal_errors
        ],
    }


def fix_changes(run: RunResult) -> dict:
    """For each fixable finding (a run made with fix plans kept), the SARIF artifact changes of
    its fix: each touched file replaced whole (its old length, its new text)."""
    from ..fix.apply import FixError, build_edits
    from ..runner import display_path

    changes = {}
    for f in run.findings + run.suppressed:
        if not f.fixable or f.fix_plan is None:
            continue
        originals = {s.path: run.index.parse(s.path).source.data for s in f.fix_plan.files.values()}
        try:
            edits = build_edits(f.fix_plan, originals)
        except FixError:
            continue
        changes[id(f)] = [
            {
                "artifactLocation": {"uri": _uri(display_path(edit.path)), "uriBaseId": "SRCROOT"},
                "replacements": [
                    {
                        "deletedRegion": {"charOffset": 0, "charLength": len(edit.old.decode("utf-8", "replace"))},
                        "insertedContent": {"text": edit.new.decode("utf-8", "replace")},
                    }
                ],
            }
            for edit in edits
        ]
    return changes
