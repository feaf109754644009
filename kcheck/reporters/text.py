"""The human report: findings grouped by kernel, each with its fix."""

from __future__ import annotations

from kcheck.domain.findings import INPUTS, ROLES, Finding, Report, Severity, WaiverStatus
from kcheck.reporters import summary, verdict_word
from kcheck.reporters.escape import terminal
from kcheck.domain.memparse import format_size

#: Findings grouped by what they concern; "kexec" is a command's name and keeps its case.
GROUPS = tuple((name, label if name == "kexec" else label.capitalize()) for name, label in INPUTS.items())
_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def render(report: Report, *, color: bool = False, verbose: bool = False,
           fail_on: Severity | None = Severity.ERROR, require_complete: bool = False,
           quiet: bool = False) -> str:
    paint = _painter(color)
    if quiet:
        return terminal("\n".join(_failing(report, paint, fail_on) + _verdict(report, paint)) + "\n",
                        colour=color)
    inputs = report.inputs
    lines: list[str] = list(_host_lines(inputs.get("host")))
    for role in ROLES:
        info = inputs.get(role) or {}
        if info.get("config"):
            lines.append(_one(f"{role} kernel: {info['config']} "
                              f"(version {info.get('version') or 'unknown'}, arch {info.get('arch') or 'unknown'})"))
    by_kernel: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_kernel.setdefault(finding.concerns, []).append(finding)
    for kernel, heading in GROUPS:
        findings = sorted(by_kernel.get(kernel, []), key=lambda f: (-f.severity, f.rule))
        if not findings:
            continue
        lines.append("")
        lines.append(paint(heading, "1"))
        for finding in findings:
            lines.extend(_finding(finding, paint))
    if report.memory_map and (verbose or report.memory_map["conflicts"] or _has_images(inputs)):
        from kcheck.reporters.memory_picture import draw  # lazy: only reports that draw the map

        lines.append("")
        lines.extend(draw(report.memory_map, paint))
    if verbose:
        undecided = [r for r in report.results if r.undecided]
        if undecided:
            lines.append("")
            lines.append(paint("Rules not judged (the inputs cannot say)", "1"))
            lines.extend(_one(f"  {r.rule} ({r.concerns}): {r.reason}") for r in undecided)
        lines.append("")
        lines.append(paint("Rules skipped", "1"))
        lines.extend(_one(f"  {r.rule} ({r.concerns}): {r.reason}") for r in report.results
                     if r.status.value == "skip" and not r.undecided)
    notes = [_one(f"note: {note}") for note in report.notes] + _waivers(report.waivers, verbose)
    if notes:
        lines.append("")
        lines.extend(notes)
    lines.append("")
    lines.extend(_verdict(report, paint))
    return terminal("\n".join(lines).lstrip("\n") + "\n", colour=color)


def _failing(report: Report, paint: Painter, fail_on: Severity | None) -> list[str]:
    """``--quiet``: the findings that set the exit status, most severe first."""
    findings = sorted((f for f in report.findings if not f.waived and fail_on is not None
                       and f.severity >= fail_on), key=lambda f: (-f.severity, f.concerns, f.rule))
    return [line for finding in findings for line in _finding(finding, paint)]


def _verdict(report: Report, paint: Painter) -> list[str]:
    """The summary line(s) and, where the rules reach one, the capture verdict."""
    lines = summary_lines(report, paint)
    if report.verdict is not None:
        colour = {True: "1;32", False: "1;31", None: "1;33"}[report.verdict.captures]
        lines.append(paint(_one(report.verdict.line), colour))
    return lines


def _one(text: object) -> str:
    """A value from an input, on one line with no control character (see reporters.escape)."""
    return terminal(str(text), line=True)


_VERDICTS = {"fail": ("FAIL", "1;31"), "incomplete": ("INCOMPLETE", "1;33"),
             "warnings": ("OK with warnings", "1;33"), "ok": ("OK", "1;32")}


def summary_lines(report: Report, paint: Painter) -> list[str]:
    """The closing line(s): the verdict word and counts; an incomplete report says so plainly."""
    counts = summary(report)
    word = verdict_word(report, counts)
    completeness = report.completeness
    waived = f", {counts['waived']} waived" if counts["waived"] else ""
    judged = f", {counts['undecided']} not judged" if counts["undecided"] else ""
    tally = (f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info{waived}; "
             f"{counts['passed']} rules passed, {counts['skipped'] - counts['undecided']} not applicable{judged}")
    label, colour = _VERDICTS[word]
    if word == "incomplete":
        return [f"{paint('INCOMPLETE', colour)}: {_one(completeness.line.removeprefix('INCOMPLETE: '))}; {tally}"]
    lines = [f"{paint(label, colour)}: {tally}"]
    if word == "fail" and not completeness.complete:
        lines.append(f"{paint('INCOMPLETE', '1;33')}: {_one(completeness.line.removeprefix('INCOMPLETE: '))}")
    return lines


def _waivers(waivers: tuple[WaiverStatus, ...], verbose: bool) -> list[str]:
    return [_one(f"{'note' if w.state == 'applied' else 'warning'}: {w.describe()}") for w in waivers
            if verbose or w.state != "applied"]


def _has_images(inputs: dict) -> bool:
    return any((inputs.get(role) or {}).get("image") for role in ROLES)


def _host_lines(host: dict | None) -> list[str]:
    """What ``kcheck preflight`` read from the host, in a few lines."""
    if not host:
        return []
    lines = [_one(f"host: {host['root']} (release {host.get('release') or 'unknown'}, "
             f"kdump service {host.get('service') or 'none found'})")]
    regions = host.get("crash_regions")
    if regions:
        shown = ", ".join(f"{r['start']:#x}-{r['end']:#x} ({format_size(r['end'] - r['start'] + 1)})"
                          for r in regions)
        lines.append(f"crash kernel region: {shown}")
    elif regions is not None:
        lines.append("crash kernel region: none reserved")
    tools = host.get("kexec_tools")
    if tools:
        lines.append(f"kexec-tools: {tools['version']} (from {tools['source']})")
    loaded = host.get("kexec_crash_loaded")
    lines.append(f"capture kernel loaded: {'yes' if loaded == 1 else 'no' if loaded == 0 else 'unknown'}")
    if host.get("capture_kernel"):
        lines.append(_one(f"capture image: {host['capture_kernel']}"
                          + (f", initrd {host['capture_initrd']}" if host.get("capture_initrd") else "")))
    return lines


def _finding(finding: Finding, paint: "Painter") -> list[str]:
    label = paint(f"{finding.severity.label:<7}", _COLOURS[finding.severity])
    where = ""
    if finding.location and finding.location.line:
        where = f"  [{finding.location.path}:{finding.location.line}]"
    lines = [f"  {label} " + _one(f"{finding.rule} {finding.name}: {finding.title}{where}"),
             "          " + _one(finding.message)]
    fix = finding.fix.describe()
    if fix:
        lines.append("          " + _one(f"fix: {fix}"))
    if finding.waived:
        lines.append("          " + _one(f"waived: {finding.waived}"))
    return lines


class Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def _painter(color: bool) -> Painter:
    return Painter(color)
