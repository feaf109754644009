"""The rehearsal report and its renderers: text, JSON (schemas/rehearse-report.schema.json), JUnit."""

from __future__ import annotations

import json
import shlex
from typing import Any

from kcheck.domain.records import field, record
from kcheck.rehearse.stages import STAGE_TEXT, STAGES
from kcheck.rehearse.verdict import Outcome
from kcheck.domain.units import human_size
from kcheck.reporters.escape import terminal, xml_tree
from kcheck import __version__


@record
class Trial:
    """One size tried by --find-min-crashkernel."""

    size_mb: int
    outcome: Outcome


@record
class FindMin:
    trials: tuple[Trial, ...]
    minimum_mb: int | None
    recommended_mb: int | None
    margin: str

    def as_dict(self) -> dict[str, Any]:
        return {"trials": [{"crashkernel_mb": t.size_mb, "stage": t.outcome.stage, "captured": t.outcome.captured,
                            "seconds": round(t.outcome.seconds, 2), "failure": t.outcome.failure}
                           for t in self.trials],
                "minimum_mb": self.minimum_mb, "recommended_mb": self.recommended_mb, "margin": self.margin,
                "rehearsals": len(self.trials)}


@record
class RehearsalReport:
    inputs: dict[str, Any]
    vm: dict[str, Any]
    kexec_argv: tuple[str, ...]
    additions: tuple[str, ...]
    outcome: Outcome
    static: dict[str, Any] | None = None
    find_min: FindMin | None = None
    console_log: str | None = None
    build_seconds: float = field(default=0.0, compare=False)

    @property
    def exit_status(self) -> int:
        if self.find_min is not None:
            return 0 if self.find_min.minimum_mb is not None else 1
        return 0 if self.outcome.captured else 1

    def as_dict(self) -> dict[str, Any]:
        return {"tool": {"name": "kcheck", "version": __version__, "command": "rehearse"},
                "inputs": self.inputs, "vm": self.vm, "kexec_argv": list(self.kexec_argv),
                "additions": list(self.additions), "stages": list(STAGES),
                "outcome": self.outcome.as_dict(), "static": self.static,
                "agree": self.agree,
                "find_min": self.find_min.as_dict() if self.find_min else None,
                "console_log": self.console_log}

    @property
    def agree(self) -> bool | None:
        """Whether ``kcheck check``'s prediction matches what the rehearsal showed."""
        if self.static is None or self.find_min is not None or self.static.get("captures") is None:
            return None
        return bool(self.static["captures"]) == self.outcome.captured


def render_json(report: RehearsalReport) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"


def render_text(report: RehearsalReport) -> str:
    out = report.outcome
    vm = report.vm
    lines = [f"rehearsal: {vm['arch']} VM, {vm['accel'].upper()}, {vm['memory_mb']}M RAM, {vm['cpus']} CPU(s), "
             f"{out.seconds:.1f} s",
             f"boot line:  {out.boot_cmdline}",
             f"kexec:      {shlex.join(report.kexec_argv)}"]
    for addition in report.additions:
        lines.append(f"  added for the VM: {addition}")
    if report.find_min is None:
        lines.append("")
        lines.extend(_stages(out))
        if out.failure:
            lines.append("")
            lines.append(f"failed: {out.failure}")
            lines.extend(f"  | {word}" for word in out.words)
        for note in out.notes:
            lines.append(f"note: {note}")
    else:
        lines.extend(_find_min(report.find_min))
    if report.static is not None:
        lines.append("")
        captures = report.static["captures"]
        if captures is None:
            lines.append(f"kcheck check cannot tell ({report.static.get('incomplete') or 'INCOMPLETE'}); "
                         "give --system-config (and --capture-config) for a complete prediction")
        else:
            verdict = "WILL capture" if captures else "will NOT capture"
            reason = f" ({report.static['reason']})" if report.static.get("reason") else ""
            lines.append(f"kcheck check predicts: {verdict}{reason}")
        if report.agree is not None:
            lines.append("the rehearsal agrees" if report.agree else "the rehearsal DISAGREES with kcheck check")
    if report.console_log:
        lines.append(f"console log: {report.console_log}")
    lines.append("")
    if report.find_min is not None:
        fm = report.find_min
        lines.append(f"Smallest crashkernel= that gave a readable dump: {fm.minimum_mb}M; recommended: "
                     f"crashkernel={fm.recommended_mb}M ({fm.margin})." if fm.minimum_mb is not None else
                     "No size tried gave a readable dump.")
    elif out.captured:
        lines.append("The rehearsal CAPTURED a crash dump.")
    else:
        lines.append(f"The rehearsal did NOT capture a crash dump: {out.failure}.")
    # The guest's console (a user's initrd prints what it likes) and the inputs
    # reach a terminal or CI log only through the text reporters' escaping.
    return terminal("\n".join(lines) + "\n")


def _stages(out: Outcome) -> list[str]:
    reached = STAGES.index(out.stage) if out.stage in STAGES else -1
    lines = []
    for index, stage in enumerate(STAGES):
        mark = "ok  " if index <= reached else ("FAIL" if index == reached + 1 else "-   ")
        lines.append(f"  {mark} {stage:15} {STAGE_TEXT[stage]}")
    if out.crash_size:
        memory = (f"; the capture kernel's MemTotal {human_size(out.capture_memory_kb * 1024)}"
                  if out.capture_memory_kb else "")
        lines.append(f"  crash region {human_size(out.crash_size)}{memory}")
    if out.vmcore_class:
        lines.append(f"  /proc/vmcore: {human_size(out.vmcore_size or 0)}, {out.vmcore_class} core headers")
    return lines


def _find_min(fm: FindMin) -> list[str]:
    lines = ["", "find-min-crashkernel:"]
    for trial in fm.trials:
        o = trial.outcome
        result = "captured" if o.captured else f"stopped at {o.stage or 'nothing reserved'}: {o.failure}"
        lines.append(f"  crashkernel={trial.size_mb}M  {o.seconds:5.1f} s  {result}")
    return lines


def render_junit(report: RehearsalReport) -> str:
    """One testsuite, one testcase per stage: reached passes, the first missed fails, the rest skip."""
    import xml.etree.ElementTree as ET  # lazy: ElementTree: only the JUnit formats

    out = report.outcome
    root = ET.Element("testsuites", name="kcheck rehearse")
    suite = ET.SubElement(root, "testsuite", name="kcheck rehearse")
    reached = STAGES.index(out.stage) if out.stage in STAGES else -1
    failures = skipped = 0
    for index, stage in enumerate(STAGES):
        case = ET.SubElement(suite, "testcase", name=f"{stage}: {STAGE_TEXT[stage]}", classname="kcheck.rehearse",
                             time=str(out.timeline.get(stage, 0)))
        if index == reached + 1 and not out.captured:
            failure = ET.SubElement(case, "failure", message=out.failure or "", type="NotReached")
            failure.text = "\n".join(out.words)
            failures += 1
        elif index > reached and not (out.captured and stage == "dump-readable"):
            ET.SubElement(case, "skipped", message="an earlier stage was not reached")
            skipped += 1
    suite.set("tests", str(len(STAGES)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{out.seconds:.2f}")
    ET.SubElement(suite, "system-out").text = render_text(report)
    xml_tree(root)  # what XML 1.0 cannot carry, as every JUnit reporter does
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit}
