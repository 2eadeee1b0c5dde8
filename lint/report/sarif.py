"""``--output-format sarif``: SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDEs)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO

from .. import __version__
from ..findings import Finding
from ..results import RunResult
from ..rule_pages import help_uri, repository_url
from .sarif_fixes import finding_key
from .severity import severity_of
from .uri import ROOT_ID, artifact_location, repository_root, root_uri

FINGERPRINT_KEY = "zlintFingerprint/v1"

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _rules():
    from zlint.rules import ALL_RULES

    out = []
    for rule in ALL_RULES:
        sections = rule.doc_sections()
        out.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary()},
                "fullDescription": {"text": sections.get("What it does", rule.summary())},
                "help": {"text": rule.docs(), "markdown": rule.docs()},
                "defaultConfiguration": {
                    "level": "warning" if rule.severity == "warning" else "error",
                    "enabled": rule.default_enabled,
                },
                "properties": {"fixable": rule.fixable},
                "helpUri": help_uri(rule.code),
            }
        )
    return out


def _region(f: Finding) -> dict:
    return {"startLine": f.start.line, "startColumn": f.start.column, "endLine": f.end.line, "endColumn": f.end.column}


def _artifact_changes(changes, root: Path) -> list:
    return [
        {
            "artifactLocation": artifact_location(change.path, root),
            "replacements": [
                {
                    "deletedRegion": {"charOffset": edit.start, "charLength": edit.end - edit.start},
                    "insertedContent": {"text": edit.text},
                }
                for edit in change.edits
            ],
        }
        for change in changes
    ]


def _result(f: Finding, index: dict, fixes: dict, suppressed: bool, root: Path, fingerprint: str) -> dict:
    level = "warning" if severity_of(f.code) == "warning" else "error"
    result = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": level,
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(f.path, root),
                    "region": _region(f),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if f.chain:
        result["properties"] = {"chain": f.chain_text()}
    edits = fixes.get(finding_key(f))
    if edits:
        result["fixes"] = [{"description": {"text": f.fix_title}, "artifactChanges": _artifact_changes(edits, root)}]
    if suppressed:
        result["suppressions"] = [{"kind": "inSource"}]
    return result


def write_sarif(result: RunResult, out: TextIO, options: dict) -> None:
    from ..baseline import fingerprints

    from ..config import find_project_root

    # The repository the run was started in (code scanning checks it out and runs there); the
    # working directory's project root when it is not a git repository.
    root = options.get("root") or repository_root(find_project_root(Path(os.getcwd())))
    rules = _rules()
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    fixes = options.get("fixes", {})
    shown = list(result.findings) + (list(result.suppressed) if options.get("show_suppressed") else [])
    entries = {id(f): entry for f, entry in fingerprints(shown, root, result.sources)}
    results = [
        _result(f, index, fixes, position >= len(result.findings), root, entries[id(f)].fingerprint)
        for position, f in enumerate(shown)
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "zlint",
                        "version": __version__,
                        "informationUri": repository_url(),
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {ROOT_ID: {"uri": root_uri(root)}},
                # zlint's columns count code points (LibCST's), not UTF-16 units (SARIF's default).
                "columnKind": "unicodeCodePoints",
                "invocations": [_invocation(result, root)],
                "results": results,
            }
        ],
    }
    json.dump(document, out, indent=2)
    out.write("\n")


def _invocation(run: RunResult, root: Path) -> dict:
    """Internal errors as tool execution notifications: a file zlint could not analyse is never
    mistaken for a clean one."""
    return {
        "executionSuccessful": not run.internal_errors,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": f"internal error in {error.rule}: {error.message}"},
                "locations": [{"physicalLocation": {"artifactLocation": artifact_location(error.path, root)}}],
            }
            for error in run.internal_errors
        ],
    }
