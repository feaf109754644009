"""SARIF 2.1.0 for code scanning: rule descriptors from the rule files, one result per finding.

Results point at the ``.config`` line of the offending symbol (or at the file
that carries the problem, such as ``--cmdline-file``), with paths relative to
the current directory so that GitHub code scanning annotates the right line
of the checked-out repository.  A waived finding stays, with an accepted
external suppression carrying the waiver's reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kcheck import __version__
from kcheck.domain.findings import (
    INPUTS,
    BatchReport,
    Finding,
    Report,
    RuleInfo,
    Severity,
    TargetReport,
    WaiverStatus,
)
from kcheck.engine.docs import rule_help
from kcheck.reporters import relative_path, single_target

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_INPUT_NAMES = INPUTS


def render(report: Report, *, color: bool = False, verbose: bool = False,
           fail_on: Severity | None = Severity.ERROR, require_complete: bool = False) -> str:
    return _dump(sarif_log([single_target(report)], report.rules, report.waivers, require_complete))


def _dump(log: dict[str, Any]) -> str:
    """One line: json's C encoder runs only without ``indent``, and a SARIF log of ~80 rule
    descriptors is read by code-scanning tools, not people (``jq .`` indents it)."""
    return json.dumps(log) + "\n"


def sarif_log(targets: Sequence[TargetReport], rules: Sequence[RuleInfo],
              waivers: Sequence[WaiverStatus], require_complete: bool = False) -> dict[str, Any]:
    """One run holding every target's results; targets are told apart by message and properties.

    A batch streams the same run (:mod:`kcheck.reporters.stream`) from the parts below.
    """
    index = {rule.id: position for position, rule in enumerate(rules)}
    results: list[dict[str, Any]] = []
    execution: list[dict[str, Any]] = []
    for target in targets:
        found, notes = target_results(target, index, require_complete)
        results.extend(found)
        execution.extend(notes)
    incomplete = [t for t in targets if t.report is not None and not t.report.completeness.complete]
    invocation = invocation_dict(
        all(t.report is not None for t in targets), not incomplete,
        sum(t.report.completeness.undecided for t in incomplete if t.report),
        list(dict.fromkeys(c for t in incomplete if t.report for c in t.report.completeness.causes)),
        execution, waivers)
    return {"$schema": SCHEMA_URI, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver(rules)}, "invocations": [invocation], "results": results}]}


def invocation_dict(successful: bool, complete: bool, undecided: int, causes: list[str],
                    execution: list[dict[str, Any]], waivers: Sequence[WaiverStatus]) -> dict[str, Any]:
    """The run's one invocation (a batch streams ``toolExecutionNotifications`` into it)."""
    return {
        "executionSuccessful": successful,
        # Not a SARIF result (code scanning would show it as an alert on no line):
        # whether every rule that may apply was judged, for tools that gate on it.
        "properties": {"complete": complete, "undecided": undecided,
                       "undecidedCauses": causes},
        "toolExecutionNotifications": execution,
        "toolConfigurationNotifications": [
            _notification("warning", w.describe()) for w in waivers if w.state != "applied"],
    }


def target_results(target: TargetReport, index: dict[str, int],
                   require_complete: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One target's results and its execution notifications (its notes, whether it is complete,
    or the error that stopped it)."""
    prefix = f"[{target.name}] " if target.name else ""
    if target.report is None:
        return [], [_notification("error", f"{prefix}{target.error}")]
    notes = [_notification("note", f"{prefix}{note}") for note in target.report.notes]
    completeness = target.report.completeness
    if not completeness.complete:
        notes.append(_notification("error" if require_complete else "warning", f"{prefix}{completeness.line}"))
    return [_result(finding, target.name, index) for finding in target.report.findings], notes


def driver(rules: Sequence[RuleInfo]) -> dict[str, Any]:
    return {"name": "kcheck", "version": __version__, "semanticVersion": __version__,
            "rules": [_descriptor(rule) for rule in rules]}


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    # The `kcheck explain` body, built only here: the one format that shows it.
    help_text = rule_help(rule.rule, width=0) if rule.rule is not None else ""
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["kdump", rule.concerns], "source": rule.source},
    }


def _result(finding: Finding, target: str, index: dict[str, int]) -> dict[str, Any]:
    text = f"{finding.title}: {finding.message}"
    fix = finding.fix.describe()
    if fix:
        text += f". Fix: {fix}"
    properties: dict[str, Any] = {"concerns": finding.concerns, "kernel": finding.concerns, "symbols": list(finding.symbols),
                                  "fix": finding.fix.as_dict(), "reference": finding.reference}
    if target:
        properties["target"] = target
        text = f"[{target}] {text}"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [_location(finding, target)],
        "partialFingerprints": {"kcheckFinding/v1": f"{target}:{finding.rule}:{finding.concerns}"},
        "properties": properties,
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    if finding.waived:
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": finding.waived}]
    return result


def _location(finding: Finding, target: str) -> dict[str, Any]:
    location = finding.location
    if location is None or not location.is_file:
        # Given as option text: no file to annotate; name the input instead.
        name = location.path if location else _INPUT_NAMES.get(finding.concerns, finding.concerns)
        return {"logicalLocations": [{"name": name, "kind": "object",
                                      "fullyQualifiedName": f"{target}/{name}" if target else name}]}
    # Code scanning needs region.startLine: a symbol absent from the file points at its first line.
    region: dict[str, int] = {"startLine": location.line or 1}
    if location.column:
        region["startColumn"] = location.column
    return {"physicalLocation": {"artifactLocation": {"uri": file_uri(location.path)}, "region": region}}


def file_uri(path: str) -> str:
    """A relative URI reference below the current directory, else an absolute ``file:`` URI."""
    shown = relative_path(path)
    if os.path.isabs(shown):
        return Path(shown).as_uri()
    return quote(shown, safe="/")


def _notification(level: str, text: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": text}}
