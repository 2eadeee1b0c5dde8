"""``--output-format junit``: JUnit XML, one test case per finding (one passing case when clean),
with the ``file``, ``line`` and ``time`` attributes CI test viewers read."""

from __future__ import annotations

import re
from typing import TextIO
from xml.etree import ElementTree as ET

from ..results import RunResult

# What XML 1.0 cannot hold: control characters other than tab and line breaks, lone surrogates
# (file names that are not valid UTF-8 arrive with them), and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """``text`` with every character XML cannot hold written as a Python-style escape."""
    return _NOT_XML.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def _sub(parent, tag, **attributes):
    """``ET.SubElement`` with every attribute made XML-safe."""
    return ET.SubElement(parent, tag, {key: _xml_safe(str(value)) for key, value in attributes.items()})


def write_junit(result: RunResult, out: TextIO, options: dict) -> None:
    suites = ET.Element("testsuites", name="zlint")
    findings = result.findings
    elapsed = f"{options.get('elapsed', 0.0):.3f}"
    suite = _sub(
        suites,
        "testsuite",
        name="zlint",
        tests=str(max(1, len(findings))),
        failures=str(len(findings)),
        errors=str(len(result.internal_errors)),
        time=elapsed,
    )
    if not findings:
        _sub(suite, "testcase", name="zlint", classname="zlint", time=elapsed)
    for f in findings:
        case = _sub(
            suite,
            "testcase",
            name=f"{f.code} {f.path}:{f.start.line}:{f.start.column}",
            classname=f.path,
            file=f.path,
            line=f.start.line,
            time="0",
        )
        failure = _sub(case, "failure", message=f.message, type=f.code)
        failure.text = _xml_safe(f"{f.path}:{f.start.line}:{f.start.column}: {f.code} {f.message}")
    for error in result.internal_errors:
        case = _sub(
            suite, "testcase", name=f"internal error {error.path}", classname=error.path, file=error.path, time="0"
        )
        _sub(case, "error", message=error.message, type=error.rule)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")
