"""``--output-format junit``: JUnit XML, one test case per finding (one passing case when clean)."""

from __future__ import annotations

from typing import TextIO
from xml.etree import ElementTree as ET

from ..runner import RunResult


def write_junit(result: RunResult, out: TextIO, options: dict) -> None:
    suites = ET.Element("testsuites", name="zlint")
    findings = result.findings
    suite = ET.SubElement(
        suites, "testsuite", name="zlint", tests=str(max(1, len(findings))), failures=str(len(findings)),
        errors=str(len(result.internal_errors)),
    )
    if not findings:
        ET.SubElement(suite, "testcase", name="zlint", classname="zlint")
    for f in findings:
        case = ET.SubElement(suite, "testcase", name=f"{f.code} {f.path}:{f.start.line}:{f.start.column}", classname=f.path)
        failure = ET.SubElement(case, "failure", message=f.message, type=f.code)
        failure.text = f"{f.path}:{f.start.line}:{f.start.column}: {f.code} {f.message}"
    for error in result.internal_errors:
        case = ET.SubElement(suite, "testcase", name=f"internal error {error.path}", classname=error.path)
        ET.SubElement(case, "error", message=error.message, type=error.rule)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")
