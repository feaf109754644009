"""The machine report, described by ``schemas/report.schema.json``."""

from __future__ import annotations

import json
from typing import Any

from kcheck import __version__
from kcheck.domain.findings import BatchReport, Finding, Report, Severity, TargetReport, WaiverStatus
from kcheck.domain.records import asdict
from kcheck.reporters import summary, verdict_word

SCHEMA_VERSION = 1


def finding_dict(finding: Finding) -> dict[str, Any]:
    location = None
    if finding.location is not None:
        location = {"path": finding.location.path, "line": finding.location.line}
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        "concerns": finding.concerns,
        "kernel": finding.concerns,     # deprecated: the old name of "concerns"
        "title": finding.title,
        "message": finding.message,
        "symbols": list(finding.symbols),
        "fix": finding.fix.as_dict(),
        "reference": finding.reference,
        "location": location,
        "waived": finding.waived,
    }


def waiver_dict(waiver: WaiverStatus) -> dict[str, Any]:
    """A waiver's status; ``kernel`` is the deprecated old name of ``concerns``, always equal to it."""
    out = asdict(waiver)
    out["kernel"] = waiver.concerns
    return out


def summary_dict(report: Report) -> dict[str, Any]:
    """The counts, plus whether every rule that may apply was judged and why not."""
    counts: dict[str, Any] = summary(report)
    completeness = report.completeness
    counts.update(complete=completeness.complete, undecided_causes=list(completeness.causes),
                  verdict=verdict_word(report, counts), text=completeness.line)
    return counts


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "tool": tool_dict(),
        "inputs": report.inputs,
        "findings": [finding_dict(f) for f in report.findings],
        "results": [{"rule": r.rule, "concerns": r.concerns, "kernel": r.concerns, "status": r.status.value,
                     "reason": r.reason or None, "undecided": r.undecided} for r in report.results],
        "notes": list(report.notes),
        "memory_map": report.memory_map,
        "waivers": [waiver_dict(w) for w in report.waivers],
        "summary": summary_dict(report),
        "verdict": None if report.verdict is None else {
            "captures": report.verdict.captures, "reason": report.verdict.reason,
            "rule": report.verdict.rule, "text": report.verdict.line,
            "complete": report.verdict.completeness.complete,
            "undecided_causes": list(report.verdict.completeness.causes)},
    }


def render(report: Report, *, color: bool = False, verbose: bool = False,
           fail_on: Severity | None = Severity.ERROR, require_complete: bool = False) -> str:
    return json.dumps(report_dict(report), indent=2) + "\n"


def tool_dict() -> dict[str, Any]:
    return {"name": "kcheck", "version": __version__, "schema_version": SCHEMA_VERSION}


def target_dict(target: TargetReport) -> dict[str, Any]:
    """One entry of the batch report's ``targets``."""
    return {"name": target.name, "report": report_dict(target.report) if target.report else None,
            "error": target.error, "exit_status": target.exit_status}


def batch_dict(batch: BatchReport) -> dict[str, Any]:
    """``schemas/batch-report.schema.json``: each target's single report, then a summary.

    The CLI streams this document (:mod:`kcheck.reporters.stream`); this whole
    form is what the streamed one must equal.
    """
    targets = [target_dict(t) for t in batch.targets]
    return {
        "tool": tool_dict(),
        "manifest": batch.source,
        "targets": targets,
        "waivers": [waiver_dict(w) for w in batch.waivers],
        "summary": {"targets": len(targets),
                    "failed": sum(1 for t in batch.targets if t.exit_status == 1),
                    "unreadable": sum(1 for t in batch.targets if t.report is None),
                    "incomplete": sum(1 for t in batch.targets
                                      if t.report is not None and not t.report.completeness.complete),
                    "exit_status": batch.exit_status},
    }
