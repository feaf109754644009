"""Collect the fixes of a report's findings into one plan.

A rule's fix is data; several findings may ask for the same symbol (fine) or
for different values of it (a conflict that cannot be fixed automatically).
When one kernel serves as both, the capture kernel's needs go into the
system kernel's fragment, because it is one build.
"""

from __future__ import annotations

import re

from kcheck.domain.cmdline import normalise_param
from kcheck.domain.findings import EDITS, Finding, Report, Severity
from kcheck.domain.kexec import canonical_option
from kcheck.domain.records import field, record

_PLACEHOLDER = re.compile(r"<[^<>]+>")


@record
class Requested:
    """A config value some rules need, with the rules that need it."""

    symbol: str
    value: str
    rules: tuple[str, ...]


@record
class Manual:
    """A fix kcheck cannot apply by itself, and why."""

    rule: str
    what: str
    reason: str


@record(frozen=False)
class FixPlan:
    """Everything the findings ask to change, per target."""

    config: dict[str, dict[str, Requested]] = field(default_factory=lambda: {"system": {}, "capture": {}})
    cmdline_add: list[tuple[str, str]] = field(default_factory=list)      # (token, rule)
    cmdline_remove: list[tuple[str, str]] = field(default_factory=list)   # (param name, rule)
    kexec_add: list[tuple[str, str]] = field(default_factory=list)
    kexec_remove: list[tuple[str, str]] = field(default_factory=list)
    append_add: list[tuple[str, str]] = field(default_factory=list)
    append_remove: list[tuple[str, str]] = field(default_factory=list)
    manual: list[Manual] = field(default_factory=list)

    @property
    def rules(self) -> list[str]:
        return sorted({r for wanted in self.config.values() for req in wanted.values() for r in req.rules}
                      | {rule for verb in EDITS for _, rule in getattr(self, verb)})


def build_plan(report: Report, *, same_kernel: bool,
               minimum: Severity = Severity.WARNING) -> FixPlan:
    """The plan for every unwaived finding at or above ``minimum``."""
    plan = FixPlan()
    for finding in report.findings:
        if finding.waived or finding.severity < minimum:
            continue
        _add(plan, finding, same_kernel)
    return plan


def _add(plan: FixPlan, finding: Finding, same_kernel: bool) -> None:
    fix = finding.fix
    rule = finding.rule
    if fix.config:
        kernel = "system" if same_kernel else (fix.config_kernel or "system")
        wanted = plan.config[kernel]
        for symbol, value in fix.config:
            if _PLACEHOLDER.search(value) or value == "not set":
                plan.manual.append(Manual(rule, f"CONFIG_{symbol}={value}",
                                          "the value depends on an input kcheck was not given"))
                continue
            previous = wanted.get(symbol)
            if previous is not None and previous.value != value:
                plan.manual.append(Manual(rule, f"CONFIG_{symbol}={value}",
                                          f"conflicts with CONFIG_{symbol}={previous.value} wanted by "
                                          f"{', '.join(previous.rules)} for the same {kernel} kernel"
                                          + (" (one kernel serves as both: consider a separate capture kernel)"
                                             if same_kernel else "")))
                continue
            rules = (previous.rules if previous else ()) + (rule,)
            wanted[symbol] = Requested(symbol, value, rules)
    for name in EDITS:
        for item in getattr(fix, name):
            if _PLACEHOLDER.search(item):
                plan.manual.append(Manual(rule, item, "fill in the part in <...> for this machine"))
                continue
            conflict = _token_conflict(plan, name, item, rule)
            if conflict is not None:
                if conflict not in plan.manual:
                    plan.manual.append(conflict)
            elif (item, rule) not in getattr(plan, name):
                getattr(plan, name).append((item, rule))
    if fix.text and not (fix.config or any(getattr(fix, verb) for verb in EDITS)):
        plan.manual.append(Manual(rule, finding.title, fix.text))


#: Where a token names a parameter or option that takes one value: the boot command line, the
#: kexec command and the capture command line.
_ADDS = {verb: command for verb, (command, _) in EDITS.items() if verb.endswith("_add")}


def _token_key(verb: str, token: str) -> str:
    """What two tokens must share to ask for the same parameter: its name as the kernel compares
    it (``-`` and ``_`` alike) or the kexec option's long name."""
    name = token.partition("=")[0]
    if verb == "kexec_add":
        return canonical_option(name) or name
    return normalise_param(name)


def _token_conflict(plan: FixPlan, verb: str, token: str, rule: str) -> Manual | None:
    """A conflict when another rule already asks for another value of the same parameter.

    Command-line tokens get the check config values get: appending both
    ``crashkernel=64M@16M`` and ``crashkernel=256M`` would leave the last one
    deciding without a word.
    """
    if verb not in _ADDS or "=" not in token:
        return None
    key = _token_key(verb, token)
    others = [(have, by) for have, by in getattr(plan, verb)
              if "=" in have and _token_key(verb, have) == key and have != token]
    if not others:
        return None
    have = others[0][0]
    wanted_by = ", ".join(sorted({by for _, by in others}))
    return Manual(rule, token, f"conflicts with {have} wanted by {wanted_by} on the {_ADDS[verb]}")


def merge_plan(plan: FixPlan, new: FixPlan) -> bool:
    """Add what ``new`` asks beyond ``plan``; True if anything was added.

    A value that differs from one already planned is a conflict between rules
    (found when the fixed set-up is checked again) and becomes manual.
    """
    added = False
    for kernel, wanted in new.config.items():
        for symbol, request in wanted.items():
            previous = plan.config[kernel].get(symbol)
            if previous is None:
                plan.config[kernel][symbol] = request
                added = True
            elif previous.value != request.value:
                conflict = Manual(request.rules[0], f"CONFIG_{symbol}={request.value}",
                                  f"conflicts with CONFIG_{symbol}={previous.value} wanted by "
                                  f"{', '.join(previous.rules)} for the same {kernel} kernel")
                if conflict not in plan.manual:
                    plan.manual.append(conflict)
    for name in EDITS:
        mine = getattr(plan, name)
        for item in getattr(new, name):
            if any(item[0] == have for have, _ in mine):
                continue
            conflict = _token_conflict(plan, name, item[0], item[1])
            if conflict is not None:
                if conflict not in plan.manual:
                    plan.manual.append(conflict)
                continue
            mine.append(item)
            added = True
    for item in new.manual:
        if item not in plan.manual:
            plan.manual.append(item)
    return added
