"""The fleet roll-up as JUnit XML: one ``<testcase>`` per host, for CI dashboards.

A host that will not capture, or could not be fully judged, is a
``<failure>`` (``type`` is the deciding rule); a host that could not be checked
is an ``<error>``; with ``--fail-on warning`` a host with warnings fails too.
A report file that could not be read is an ``<error>`` case in its own suite.
Text from the reports is untrusted: characters XML 1.0 forbids are written as
``\\xNN`` (ElementTree escapes markup, not those), so the file always parses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from kcheck.domain.fleet import VERDICT_WORDS, HostRow, Rollup
from kcheck.reporters.escape import xml_text

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element



def xml_safe(text: str | None) -> str:
    """``text`` with every character XML 1.0 cannot hold shown as ``\\xNN``."""
    return xml_text(text or "")


def render_rollup(rollup: Rollup, *, color: bool = False, fail_on: str | None = "error") -> str:
    root = ET.Element("testsuites", name="kcheck fleet")
    suite = ET.SubElement(root, "testsuite", name="kcheck fleet: will each host capture a crash dump")
    for row in rollup.sorted_rows():
        _case(suite, row, rollup.failing(row, fail_on))
    _count(suite)
    if rollup.unreadable:
        broken = ET.SubElement(root, "testsuite", name="kcheck fleet: report files")
        for path, message in rollup.unreadable:
            case = ET.SubElement(broken, "testcase", name=xml_safe(path), classname="kcheck.fleet.reports",
                                 time="0")
            ET.SubElement(case, "error", message=xml_safe(message), type="InputError").text = xml_safe(
                f"{path}: {message}")
        _count(broken)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    root.set("time", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _case(suite: Element, row: HostRow, failing: bool) -> None:
    kind = "preflight" if row.kind == "preflight" else "check"
    case = ET.SubElement(suite, "testcase", name=xml_safe(row.host), classname=f"kcheck.fleet.{kind}",
                         time="0")
    details = [f"verdict: {VERDICT_WORDS[row.verdict]}", f"report: {row.source}"]
    details += [f"{label}: {value}" for label, value in (
        ("release", row.release), ("service", row.service), ("crashkernel", row.crashkernel),
        ("kcheck", row.tool_version)) if value]
    details.append(f"{row.errors} errors, {row.warnings} warnings")
    details.extend(f"memory map: {conflict}" for conflict in row.conflicts)
    text = xml_safe("\n".join(details))
    message = xml_safe(f"{row.rule}: {row.reason}" if row.rule else (row.reason or VERDICT_WORDS[row.verdict]))
    if failing and row.verdict == "unchecked":
        ET.SubElement(case, "error", message=message, type="unchecked").text = text
    elif failing and row.verdict != "captures":
        ET.SubElement(case, "failure", message=message, type=xml_safe(row.rule or row.verdict)).text = text
    elif failing:
        ET.SubElement(case, "failure", message=f"{row.warnings} warnings", type="warning").text = text
    else:
        ET.SubElement(case, "system-out").text = text


def _count(suite: Element) -> None:
    cases = list(suite.iter("testcase"))
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", "0")
    suite.set("time", "0")
