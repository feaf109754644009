"""The values that flow between kcheck's stages.

Readers produce facts (see :mod:`kcheck.facts.setup`), the engine turns rules and
facts into :class:`RuleResult` values, and reporters and fixers only read a
:class:`Report`.  Everything here is immutable so that no stage can change
what an earlier one concluded.
"""

from __future__ import annotations

import enum
from typing import Any

from kcheck.domain.records import field, record


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``--fail-on`` is a comparison."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


class Status(enum.Enum):
    """What evaluating one rule against one set-up gave."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


#: What a finding can concern (a rule's ``concerns``), with the words reports use for it:
#: the two kernels, the boot command line, the kexec command and a live host.
INPUTS: dict[str, str] = {"system": "system kernel", "capture": "capture kernel",
                          "boot": "boot command line", "kexec": "kexec command", "host": "host"}
KERNELS = tuple(INPUTS)
#: The order in which a verdict names its deciding error (pre-flight and fleet roll-ups): the
#: live host, the boot command line, the kexec command, then the kernels.
VERDICT_ORDER = ("host", "boot", "kexec", "capture", "system")
#: Rules whose findings are consequences of others: a verdict's reason only when alone.
SYMPTOMS = frozenset({"KH009"})
#: The two kernels of a set-up: what a rule's ``role`` and a fix's config may name.
ROLES = ("system", "capture")

#: The command edits a fix can make, as verb -> (the command it edits, the text report's words),
#: in the order a fix applies them: each command's removals before its additions.
EDITS: dict[str, tuple[str, str]] = {
    "cmdline_remove": ("boot command line", "remove {} from the boot command line"),
    "cmdline_add": ("boot command line", "add {} to the boot command line"),
    "kexec_remove": ("kexec command", "remove {} from the kexec command"),
    "kexec_add": ("kexec command", "add {} to the kexec command"),
    "append_remove": ("capture command line", "drop {} from the capture command line"),
    "append_add": ("capture command line", "append {} to the capture command line"),
}
#: Everything a fix can hold, in the order ``kcheck explain`` shows it.
FIX_VERBS = ("config", *EDITS, "text")


@record
class Location:
    """Where the offending value is written, for annotations (1-based line)."""

    path: str
    line: int | None = None
    column: int | None = None

    @property
    def is_file(self) -> bool:
        """False for inputs given as option text (``--kexec``): nothing to annotate."""
        return not self.path.startswith("--")


@record
class Fix:
    """A rule's remedy as data, with the set-up's values filled in.

    ``config`` holds assignments without the ``CONFIG_`` prefix for the kernel
    named by ``config_kernel``; ``cmdline_add``/``cmdline_remove`` edit the
    system kernel's boot line; ``kexec_add``/``kexec_remove`` edit options of
    the kexec command; ``append_add``/``append_remove`` edit its ``--append``.
    """

    config_kernel: str | None = None
    config: tuple[tuple[str, str], ...] = ()
    cmdline_add: tuple[str, ...] = ()
    cmdline_remove: tuple[str, ...] = ()
    kexec_add: tuple[str, ...] = ()
    kexec_remove: tuple[str, ...] = ()
    append_add: tuple[str, ...] = ()
    append_remove: tuple[str, ...] = ()
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: only the parts this fix uses."""
        out: dict[str, Any] = {}
        if self.config:
            out["config"] = {f"CONFIG_{k}": v for k, v in self.config}
            out["config_kernel"] = self.config_kernel
        for name in EDITS:
            value = getattr(self, name)
            if value:
                out[name] = list(value)
        if self.text:
            out["text"] = self.text
        return out

    def describe(self) -> str:
        """One line for the text report."""
        parts: list[str] = []
        if self.config:
            parts.append(", ".join(_config_line(k, v) for k, v in self.config)
                         + f" in the {self.config_kernel} kernel")
        for verb, (_, words) in EDITS.items():
            if getattr(self, verb):
                parts.append(words.format(" ".join(getattr(self, verb))))
        if self.text:
            parts.append(self.text)
        return "; ".join(parts)


def _config_line(symbol: str, value: str) -> str:
    if value == "n":
        return f"# CONFIG_{symbol} is not set"
    return f"CONFIG_{symbol}={value}"


@record
class Finding:
    """A rule that failed: what is wrong, where, and how to fix it."""

    rule: str
    name: str
    severity: Severity
    concerns: str  # what the finding is about: a key of INPUTS (a rule's ``concerns``)
    title: str
    message: str
    symbols: tuple[str, ...]
    fix: Fix
    reference: str
    location: Location | None = None
    waived: str | None = None


@record
class RuleResult:
    """One rule evaluated against one set-up; ``finding`` is set when it failed.

    A SKIP is either *not applicable* (outside the rule's versions or
    architectures, its precondition false, or only an optional input such as
    an image would decide it) or *undecided*: the rule may apply but the
    inputs cannot say (an unknown version or architecture, no kexec command).
    ``undecided`` names the cause of the latter, and makes the report
    incomplete.
    """

    rule: str
    concerns: str
    status: Status
    reason: str = ""
    finding: Finding | None = None
    undecided: str | None = None


@record
class KernelSummary:
    """What the report says about one kernel's inputs (for the JSON ``inputs``)."""

    role: str
    config: str | None
    version: str | None
    version_source: str | None
    arch: str | None
    image: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@record
class RuleInfo:
    """What reporters may say about a rule (SARIF's rule descriptors), without loading rules."""

    id: str
    name: str
    title: str
    why: str
    severity: Severity
    concerns: str
    source: str
    rule: Any = field(default=None, compare=False)  # the Rule: SARIF's help text is built from it


@record
class WaiverStatus:
    """What became of one waiver: ``applied`` (to ``matched`` findings), ``expired`` or ``stale``."""

    rule: str
    reason: str
    source: str
    state: str
    matched: int = 0
    concerns: str | None = None
    target: str | None = None
    expires: str | None = None

    def describe(self) -> str:
        """One line for the text report and tool notifications."""
        scope = f"{self.rule}" + (f" ({INPUTS.get(self.concerns, self.concerns)})" if self.concerns else "") + \
            (f" in target {self.target}" if self.target else "")
        if self.state == "expired":
            return f"waiver {self.source} for {scope} expired on {self.expires}: not applied"
        if self.state == "stale":
            return f"waiver {self.source} for {scope} matches no finding (stale): remove it"
        return f"waiver {self.source} for {scope} applied to {self.matched} finding(s): {self.reason}"


@record
class Completeness:
    """Whether every rule that may apply was judged; if not, how many were not and why."""

    undecided: int = 0
    causes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.undecided == 0

    @property
    def line(self) -> str:
        """``INCOMPLETE: 23 rules could not be judged (architecture unknown; no kexec command)``."""
        if self.complete:
            return "complete: every rule that may apply was judged"
        rules = "rule" if self.undecided == 1 else "rules"
        return f"INCOMPLETE: {self.undecided} {rules} could not be judged ({'; '.join(self.causes)})"


def completeness_of(results: tuple[RuleResult, ...]) -> Completeness:
    """Count the undecided results; causes in the order first met, each once."""
    causes = [r.undecided for r in results if r.undecided]
    return Completeness(len(causes), tuple(dict.fromkeys(causes)))


@record
class Verdict:
    """``kcheck preflight``'s answer: will this host capture a dump, and if not, why.

    ``captures`` is None when no error decides and some rule could not be
    judged: kcheck cannot tell, and never says "WILL" then.
    """

    captures: bool | None
    reason: str | None = None
    rule: str | None = None
    completeness: Completeness = field(default_factory=Completeness)

    @property
    def line(self) -> str:
        if self.captures:
            return "This host WILL capture a crash dump."
        if self.captures is None:
            return (f"INCOMPLETE: kcheck cannot tell whether this host will capture a crash dump: "
                    f"{self.completeness.line.removeprefix('INCOMPLETE: ')}.")
        return f"This host will NOT capture a crash dump: {(self.reason or '').rstrip('.')}."


@record
class Report:
    """Everything a reporter needs: inputs, every rule result, notes."""

    inputs: dict[str, Any]
    results: tuple[RuleResult, ...]
    notes: tuple[str, ...] = ()
    memory_map: dict[str, Any] | None = None
    rules: tuple[RuleInfo, ...] = ()
    waivers: tuple[WaiverStatus, ...] = ()
    verdict: Verdict | None = None
    #: Files read to make the report beyond the named options (the pre-flight's
    #: host files): an output must never replace one.  Not rendered.
    sources: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(r.finding for r in self.results if r.finding is not None)

    def worst(self, *, include_waived: bool = False) -> Severity | None:
        """The highest severity among findings that count for the exit status."""
        levels = [f.severity for f in self.findings if include_waived or not f.waived]
        return max(levels) if levels else None

    @property
    def completeness(self) -> Completeness:
        return completeness_of(self.results)

    def exit_status(self, fail_on: Severity | None, require_complete: bool = False) -> int:
        """1 when a finding that counts is at or above ``fail_on`` (None: never), or when
        ``require_complete`` and some rule could not be judged; else 0."""
        worst = self.worst()
        if fail_on is not None and worst is not None and worst >= fail_on:
            return 1
        return 1 if require_complete and not self.completeness.complete else 0


@record
class TargetReport:
    """One set-up of a batch: its report, or the one-line error that stopped it."""

    name: str
    report: Report | None
    error: str | None
    exit_status: int


@record
class BatchReport:
    """Many set-ups checked together (``--manifest``, ``lint-configs``): one output."""

    targets: tuple[TargetReport, ...]
    rules: tuple[RuleInfo, ...] = ()
    waivers: tuple[WaiverStatus, ...] = ()
    source: str | None = None

    @property
    def exit_status(self) -> int:
        return max((t.exit_status for t in self.targets), default=0)
