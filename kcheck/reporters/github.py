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

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(report: Report, *, color: bool = False, verbose: bool = False,
           fail_on: Severity | None = Severity.ERROR, require_complete: bool = False) -> str:
    return annotations([single_target(report)], report.waivers, require_complete)


def render_batch(batch: BatchReport, *, color: bool = False, verbose: bool = False,
                 fail_on: Severity | None = Severity.ERROR, require_complete: bool = False) -> str:
    return annotations(batch.targets, batch.waivers, require_complete)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line; properties that are None are left out."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items()
                     if value is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def annotations(targets: Sequence[TargetReport], waivers: Sequence[WaiverStatus],
                require_complete: bool = False) -> str:
    lines: list[str] = []
    totals = {"error": 0, "warning": 0, "info": 0, "waived": 0, "undecided": 0}
    for target in targets:
        prefix = f"[{target.name}] " if target.name else ""
        if target.report is None:
            lines.append(command("error", f"{prefix}{target.error}", title="kcheck: cannot check"))
            continue
        lines.extend(_finding(finding, prefix) for finding in target.report.findings)
        lines.extend(f"kcheck: {prefix}note: {note}" for note in target.report.notes)
        completeness = target.report.completeness
        if not completeness.complete:
            lines.append(command("error" if require_complete else "warning", f"{prefix}{completeness.line}",
                                 title=f"{prefix}kcheck: incomplete check"))
        for key, value in summary(target.report).items():
            if key in totals:
                totals[key] += value
    lines.extend(command("warning", w.describe(), title="kcheck waiver") for w in waivers
                 if w.state != "applied")
    judged = (f"; INCOMPLETE: {totals['undecided']} rules could not be judged" if totals["undecided"] else "")
    lines.append(f"kcheck: {totals['error']} errors, {totals['warning']} warnings, "
                 f"{totals['info']} info, {totals['waived']} waived{judged}")
    return "\n".join(lines) + "\n"


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
