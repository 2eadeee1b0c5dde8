"""``--output-format junit``: JUnit XML, one test case per finding (one passing case when clean),
with the ``file``, ``line`` and ``time`` attributes CI test viewers read."""

from __future__ import annotations

import re
from typing import TextIO
from xml.etree import ElementTree as ET

from ..runner import RunResult

# Characters XML 1.0 cannot hold at all (control characters, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def write_junit(result: RunResult, out: TextIO, options: dict) -> None:
    suites = ET.Element("testsuites", name="zlint")
    findings = result.findings
    elapsed = f"{options.get('elapsed', 0.0):.3f}"
    suite = ET.SubElement(
        suites, "testsuite", name="zlint", tests=str(max(1, len(findings))), failures=str(len(findings)),
        errors=str(len(result.internal_errors)), time=elapsed,
    )
    if not findings:
        ET.SubElement(suite, "testcase", name="zlint", classname="zlint", time=elapsed)
    for f in findings:
        case = ET.SubElement(suite, "testcase", name=_xml(f"{f.code} {f.path}:{f.start.line}:{f.start.column}"),
                             classname=_xml(f.path), file=_xml(f.path), line=str(f.start.line), time="0")
        failure = ET.SubElement(case, "failure", message=_xml(f.message), type=f.code)
        failure.text = _xml(f"{f.path}:{f.start.line}:{f.start.column}: {f.code} {f.message}")
    for error in result.internal_errors:
        case = ET.SubElement(suite, "testcase", name=_xml(f"internal error {error.path}"), classname=_xml(error.path),
                             file=_xml(error.path), time="0")
        ET.SubElement(case, "error", message=_xml(error.message), type=error.rule)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")
