"""Waivers: accepted findings, written down with a reason and an expiry date.

A waiver never hides a finding: the finding stays in every report, marked
``waived`` with the reason, and only stops counting for the exit status
(:meth:`kcheck.domain.findings.Report.worst` ignores waived findings).  A waiver past
its ``expires`` date stops applying and says so; one that matches nothing is
reported as stale so that waiver files do not silently rot.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from kcheck.domain.errors import InputError
from kcheck.domain.findings import Finding, Report, RuleResult, WaiverStatus
from kcheck.domain.records import record, replace
from kcheck.inputs.validate import read_toml, validate


@record
class Waiver:
    """One ``[[waiver]]`` table; ``source`` says where it is written (``FILE waiver[N]``)."""

    rule: str
    reason: str
    source: str
    concerns: str | None = None
    target: str | None = None
    expires: datetime.date | None = None

    def matches(self, finding: Finding, target: str | None) -> bool:
        if self.rule not in (finding.rule, finding.name):
            return False
        if self.concerns is not None and self.concerns != finding.concerns:
            return False
        return self.target is None or self.target == target

    def expired(self, today: datetime.date) -> bool:
        """The waiver applies up to and including its ``expires`` day."""
        return self.expires is not None and self.expires < today

    def status(self, state: str, matched: int = 0) -> WaiverStatus:
        return WaiverStatus(rule=self.rule, reason=self.reason, source=self.source, state=state,
                            matched=matched, concerns=self.concerns, target=self.target,
                            expires=self.expires.isoformat() if self.expires else None)


def load_waivers(path: str) -> tuple[Waiver, ...]:
    """Read and schema-check a waiver file (user input: validated at run time)."""
    document = read_toml(path, "waiver file")
    validate(document, "waivers.schema.json", path)
    return tuple(_waiver(table, path, index) for index, table in enumerate(document["waiver"]))


def _waiver(table: dict[str, Any], path: str, index: int) -> Waiver:
    expires = table.get("expires")
    if isinstance(expires, str):
        try:
            expires = datetime.date.fromisoformat(expires)
        except ValueError:
            raise InputError(path, f"waiver[{index}].expires: {expires!r} is not a date") from None
    if "concerns" in table and "kernel" in table and table["concerns"] != table["kernel"]:
        raise InputError(path, f"waiver[{index}]: concerns and its old name kernel disagree; give one")
    return Waiver(rule=table["rule"], reason=table["reason"].strip(), source=f"{path} waiver[{index}]",
                  concerns=table.get("concerns", table.get("kernel")), target=table.get("target"),
                  expires=expires)


def apply_waivers(report: Report, waivers: Sequence[Waiver], *, target: str | None = None,
                  today: datetime.date | None = None) -> Report:
    """The report with matching findings marked waived and one status per waiver.

    The first waiver that matches a finding gives its reason; every waiver
    that matches counts the finding, so only a waiver matching nothing is stale.
    """
    today = today or datetime.date.today()
    reasons: dict[int, str] = {}
    statuses: list[WaiverStatus] = []
    for waiver in waivers:
        if waiver.expired(today):
            statuses.append(waiver.status("expired"))
            continue
        matched = 0
        for index, result in enumerate(report.results):
            if result.finding is not None and waiver.matches(result.finding, target):
                reasons.setdefault(index, waiver.reason)
                matched += 1
        statuses.append(waiver.status("applied" if matched else "stale", matched))
    results = tuple(_waive(result, reasons.get(index)) for index, result in enumerate(report.results))
    return replace(report, results=results, waivers=report.waivers + tuple(statuses))


def _waive(result: RuleResult, reason: str | None) -> RuleResult:
    if reason is None or result.finding is None:
        return result
    return replace(result, finding=replace(result.finding, waived=reason))


def merge_statuses(per_target: Iterable[Sequence[WaiverStatus]]) -> tuple[WaiverStatus, ...]:
    """One status per waiver over a batch: stale only if it matched nothing in any target."""
    merged: list[WaiverStatus] = []
    for statuses in per_target:
        if not merged:
            merged = list(statuses)
            continue
        for index, status in enumerate(statuses):
            total = merged[index].matched + status.matched
            state = "expired" if status.state == "expired" else ("applied" if total else "stale")
            merged[index] = replace(merged[index], matched=total, state=state)
    return tuple(merged)
