"""The fleet roll-up as values: one row per host, grouped by verdict and reason.

Rows come from report files (:mod:`kcheck.inputs.fleet_reports`); reporters
render a :class:`Rollup`.  Grouping lives here so that every format counts
alike: "37 hosts will NOT capture: 30 <reason> (KH002), 7 <reason> (KH005)".

Exit status: 2 when nothing could be rendered, or a report file could not be
read (the rest is still rendered); else 1 when a host will not capture, could
not be checked, or could not be fully judged (``--fail-on error``), or has a
warning (``--fail-on warning``); else 0.
"""

from __future__ import annotations

from collections import Counter

from kcheck.domain.records import field, record

#: Verdicts, worst first: the order of every roll-up.
VERDICTS = ("will-not-capture", "incomplete", "unchecked", "captures")
#: How each verdict reads in a sentence about N hosts.
VERDICT_WORDS = {
    "will-not-capture": "will NOT capture",
    "incomplete": "could not be fully judged",
    "unchecked": "could not be checked",
    "captures": "will capture",
}


@record
class Area:
    """One range of a host's memory map, as the report gives it."""

    name: str
    start: int | None
    size: int | None
    inside_region: bool
    problem: str | None


@record
class HostRow:
    """One host (or ``--manifest`` target) of the roll-up."""

    host: str
    source: str
    kind: str                  # preflight | check | unchecked
    verdict: str               # one of VERDICTS
    reason: str | None = None
    rule: str | None = None
    title: str | None = None   # the deciding rule's title, for grouping
    tool_version: str | None = None
    release: str | None = None
    arch: str | None = None
    service: str | None = None
    memory: int | None = None
    region_start: int | None = None
    region_size: int | None = None
    crashkernel: str | None = None
    errors: int = 0
    warnings: int = 0
    needed: int | None = None
    areas: tuple[Area, ...] = field(default=())
    conflicts: tuple[str, ...] = field(default=())



@record(frozen=False)
class Rollup:
    """The rows of every readable report, and one line for each file that was not."""

    rows: list[HostRow] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0
    versions: Counter[str] = field(default_factory=Counter)

    def by_verdict(self) -> list[tuple[str, int]]:
        counts = Counter(row.verdict for row in self.rows)
        return [(verdict, counts[verdict]) for verdict in VERDICTS if counts[verdict]]

    def by_reason(self, verdict: str) -> list[tuple[str | None, str, int]]:
        """(rule, label, count) of the hosts with ``verdict``, most frequent first."""
        counts: Counter[tuple[str | None, str]] = Counter()
        for row in self.rows:
            if row.verdict == verdict:
                counts[(row.rule, reason_label(row))] += 1
        return [(rule, label, count) for (rule, label), count in
                sorted(counts.items(), key=lambda item: (-item[1], item[0][0] or "", item[0][1]))]

    def sorted_rows(self) -> list[HostRow]:
        """Worst verdict first, then by rule and host name."""
        order = {verdict: index for index, verdict in enumerate(VERDICTS)}
        return sorted(self.rows, key=lambda r: (order[r.verdict], r.rule or "", r.host, r.source))

    def failing(self, row: HostRow, fail_on: str | None) -> bool:
        """Whether ``row`` counts against the exit status at ``fail_on`` (None: never)."""
        if fail_on is None:
            return False
        if row.verdict != "captures":
            return True
        return fail_on in ("warning", "info") and row.warnings > 0

    def exit_status(self, fail_on: str | None) -> int:
        if self.unreadable or not self.rows:
            return 2
        return 1 if any(self.failing(row, fail_on) for row in self.rows) else 0

    def summary_line(self, verdict: str, count: int) -> str:
        """``37 hosts will NOT capture: 30 <reason> (KH002), 7 <reason> (KH005)``."""
        text = f"{count} {'host' if count == 1 else 'hosts'} {VERDICT_WORDS[verdict]}"
        if verdict == "captures":
            return text
        reasons = self.by_reason(verdict)
        shown = ", ".join(f"{n} {label}" + (f" ({rule})" if rule else "") for rule, label, n in reasons[:8])
        more = f", {len(reasons) - 8} other reasons" if len(reasons) > 8 else ""
        return f"{text}: {shown}{more}"


def reason_label(row: HostRow) -> str:
    """What the hosts of one group share: the deciding rule's title, else the reason."""
    if row.title:
        return row.title
    if row.verdict == "unchecked":
        return _first_clause(row.reason or "not checked")
    return row.reason or "no reason given"


def _first_clause(text: str) -> str:
    """Errors name paths that differ per host; group them by what went wrong."""
    return text.rsplit(": ", 1)[-1][:200] if ": " in text else text[:200]


