"""JUnit XML for GitLab (artifacts:reports:junit) and Jenkins (the junit step).

One ``<testsuite>`` per kernel or input (per target, for a batch), one
``<testcase>`` per rule evaluated there.  A finding at or above ``--fail-on``
is a ``<failure>``; a waived finding or a rule that did not apply is
``<skipped>`` with the reason; a finding below the threshold passes and shows
in ``<system-out>``.  A target whose inputs could not be read is an ``<error>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kcheck.domain.findings import INPUTS, Report, RuleResult, Severity, Status, TargetReport
from kcheck.reporters import relative_path, single_target
from kcheck.reporters.escape import xml_tree

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

KERNELS = tuple(INPUTS.items())


def render(report: Report, *, color: bool = False, verbose: bool = False,
           fail_on: Severity | None = Severity.ERROR, require_complete: bool = False) -> str:
    return junit_xml([single_target(report)], fail_on, require_complete)


def junit_xml(targets: Sequence[TargetReport], fail_on: Severity | None, require_complete: bool = False) -> str:
    root = ET.Element("testsuites", name="kcheck")
    for target in targets:
        _target_suites(root, target, fail_on, require_complete)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in root)))
    root.set("time", "0")
    xml_tree(root)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def target_suites_xml(target: TargetReport, fail_on: Severity | None,
                      require_complete: bool = False) -> tuple[str, dict[str, int]]:
    """One target's suites as they appear indented inside ``<testsuites>``, and their counts
    (a batch streams them and writes the totals, which head the document, at the end)."""
    root = ET.Element("testsuites")
    _target_suites(root, target, fail_on, require_complete)
    xml_tree(root)
    parts: list[str] = []
    counts = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root:
        for key in counts:
            counts[key] += int(suite.get(key, "0"))
        ET.indent(suite, level=1)
        parts.append("\n  " + ET.tostring(suite, encoding="unicode"))
    return "".join(parts), counts


def _target_suites(root: Element, target: TargetReport, fail_on: Severity | None, require_complete: bool) -> None:
    """A ``<testsuite>`` per kernel or input of ``target`` (one with an ``<error>`` if it was unreadable)."""
    if target.report is None:
        suite = _suite(root, target.name or "kcheck")
        case = ET.SubElement(suite, "testcase", name="read inputs", classname=f"{target.name}.inputs", time="0")
        ET.SubElement(case, "error", message=target.error or "", type="InputError").text = target.error
        _count(suite)
        return
    for kernel, label in KERNELS:
        results = [r for r in target.report.results if r.concerns == kernel]
        if not results:
            continue
        suite = _suite(root, f"{target.name}: {label}" if target.name else label)
        classname = f"{target.name}.{kernel}" if target.name else f"kcheck.{kernel}"
        for result in results:
            _case(suite, result, classname, target.report, fail_on)
        _count(suite)
    _completeness(root, target, require_complete)


def _suite(root: Element, name: str) -> Element:
    return ET.SubElement(root, "testsuite", name=name)


def _case(suite: Element, result: RuleResult, classname: str, report: Report,
          fail_on: Severity | None) -> None:
    info = next((r for r in report.rules if r.id == result.rule), None)
    case = ET.SubElement(suite, "testcase", name=f"{result.rule} {info.name}" if info else result.rule,
                         classname=classname, time="0")
    finding = result.finding
    if result.status is Status.SKIP:
        judged = "not judged" if result.undecided else "not applicable"
        ET.SubElement(case, "skipped", message=f"{judged}: {result.reason}")
        return
    if finding is None:
        return
    if finding.location is not None and finding.location.is_file:
        case.set("file", relative_path(finding.location.path))
        if finding.location.line:
            case.set("line", str(finding.location.line))
    text = f"{finding.severity.label}: {finding.title}\n{finding.message}"
    fix = finding.fix.describe()
    if fix:
        text += f"\nfix: {fix}"
    if finding.location is not None and finding.location.is_file:
        line = f":{finding.location.line}" if finding.location.line else ""
        text += f"\nat {relative_path(finding.location.path)}{line}"
    if finding.waived:
        ET.SubElement(case, "skipped", message=f"waived: {finding.waived}")
        ET.SubElement(case, "system-out").text = text
    elif fail_on is not None and finding.severity >= fail_on:
        ET.SubElement(case, "failure", message=f"{finding.rule}: {finding.message}",
                      type=finding.severity.label).text = text
    else:
        ET.SubElement(case, "system-out").text = text


def _completeness(root: Element, target: TargetReport, require_complete: bool) -> None:
    """For a report that could not judge every rule that may apply: one more case saying so.

    It is skipped with the INCOMPLETE line, or a failure under
    ``--require-complete``, so that such a report never shows as all green.
    """
    assert target.report is not None
    completeness = target.report.completeness
    if completeness.complete:
        return
    suite = _suite(root, f"{target.name}: completeness" if target.name else "completeness")
    classname = f"{target.name}.completeness" if target.name else "kcheck.completeness"
    case = ET.SubElement(suite, "testcase", name="every rule that may apply was judged",
                         classname=classname, time="0")
    if require_complete:
        ET.SubElement(case, "failure", message=completeness.line, type="incomplete").text = \
            "\n".join(f"{r.rule}: {r.reason}" for r in target.report.results if r.undecided)
    else:
        ET.SubElement(case, "skipped", message=completeness.line)
    _count(suite)


def _count(suite: Element) -> None:
    cases = list(suite.iter("testcase"))
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    suite.set("time", "0")
