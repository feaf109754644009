"""GitHub Actions workflow commands: ``::error file=F,line=N,title=T::message``.

The runner turns each command into an annotation on the named line.  Values
are escaped as the runner's command parser expects (actions/toolkit
``escapeData``/``escapeProperty``): ``%``, CR and LF everywhere, and ``:``
and ``,`` inside properties.  Notes and the summary are plain log lines, so
they do not use up the per-step annotation limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from kcheck.domain.findings import (
    BatchReport,
    Finding,
    Report,
    Severity,
    TargetReport,
    WaiverStatus,
)
from kcheck.reporters import relative_path, single_target, summary
from kcheck.reporters.escape import workflow_data, workflow_log, workflow_property

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(report: Report, *, color: bool = False, verbose: bool = False,
           fail_on: Severity | None = Severity.ERROR, require_complete: bool = False) -> str:
    return annotations([single_target(report)], report.waivers, require_complete)


def command(name: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line; properties that are None are left out."""
    props = ",".join(f"{key}={workflow_property(str(value))}" for key, value in properties.items()
                     if value is not None)
    return f"::{name}{' ' + props if props else ''}::{workflow_data(message)}"


def annotations(targets: Sequence[TargetReport], waivers: Sequence[WaiverStatus],
                require_complete: bool = False) -> str:
    lines: list[str] = []
    totals: dict[str, int] = {}
    for target in targets:
        lines.extend(target_lines(target, require_complete))
        if target.report is not None:
            for key, value in summary(target.report).items():
                totals[key] = totals.get(key, 0) + value
    lines.extend(closing_lines(waivers, totals))
    return "\n".join(lines) + "\n"


def target_lines(target: TargetReport, require_complete: bool = False) -> list[str]:
    """A target's annotations, notes and completeness (a batch streams them)."""
    prefix = f"[{target.name}] " if target.name else ""
    if target.report is None:
        return [command("error", f"{prefix}{target.error}", title="kcheck: cannot check")]
    lines = [_finding(finding, prefix) for finding in target.report.findings]
    lines.extend(workflow_log(f"kcheck: {prefix}note: {note}") for note in target.report.notes)
    completeness = target.report.completeness
    if not completeness.complete:
        lines.append(command("error" if require_complete else "warning", f"{prefix}{completeness.line}",
                             title=f"{prefix}kcheck: incomplete check"))
    return lines


def closing_lines(waivers: Sequence[WaiverStatus], totals: dict[str, int]) -> list[str]:
    """Warnings for waivers that did not apply, then the totals line (``totals``: summed summaries)."""
    lines = [command("warning", w.describe(), title="kcheck waiver") for w in waivers if w.state != "applied"]
    undecided = totals.get("undecided", 0)
    judged = f"; INCOMPLETE: {undecided} rules could not be judged" if undecided else ""
    lines.append(f"kcheck: {totals.get('error', 0)} errors, {totals.get('warning', 0)} warnings, "
                 f"{totals.get('info', 0)} info, {totals.get('waived', 0)} waived{judged}")
    return lines


def _finding(finding: Finding, prefix: str) -> str:
    message = f"{prefix}{finding.message}"
    fix = finding.fix.describe()
    if fix:
        message += f"\nfix: {fix}"
    name = COMMANDS[finding.severity]
    if finding.waived:
        name, message = "notice", f"waived ({finding.waived}): {message}"
    location = finding.location
    in_file = location is not None and location.is_file
    return command(name, message,
                   file=relative_path(location.path) if in_file and location else None,
                   line=location.line if in_file and location else None,
                   col=location.column if in_file and location else None,
                   title=f"{prefix}{finding.rule} {finding.name}: {finding.title}")
