"""One manifest target: what it is, what every target shares, and how one is checked.

Apart from :mod:`kcheck.app.batch` so that the worker pool
(:mod:`kcheck.app.batch_pool`), which checks targets, and the batch, which
starts the pool, both import it and neither imports the other back.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from kcheck.app.pipeline import CheckRequest, read_setup, run_check_on
from kcheck.app.waivers import Waiver, apply_waivers
from kcheck.domain.errors import KcheckError
from kcheck.domain.findings import Location, Report, Severity, TargetReport
from kcheck.domain.records import record, replace

if TYPE_CHECKING:
    from kcheck.app.pipeline import Reader
    from kcheck.engine.rule import Rule


@record
class Target:
    """One set-up to check; ``line`` is where its table starts in the manifest."""

    name: str
    request: CheckRequest
    line: int | None = None


@record
class BatchOptions:
    """What every target shares: rule files, waivers, the day, the threshold, the manifest."""

    rule_files: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    today: datetime.date | None = None
    fail_on: Severity | None = Severity.ERROR
    source: str | None = None
    require_complete: bool = False


def check_target(target: Target, options: BatchOptions, *, rules: list[Rule] | None = None,
                 reader: Reader | None = None) -> TargetReport:
    """One target, in a worker process: its report, or its error as one line."""
    try:
        report = run_check_on(target.request, read_setup(target.request, reader), rules)
    except KcheckError as exc:
        return TargetReport(target.name, None, str(exc), 2)
    report = apply_waivers(report, options.waivers, target=target.name, today=options.today)
    if options.source is not None:
        report = _locate_in_manifest(report, options.source, target.line)
    return TargetReport(target.name, report, None, report.exit_status(options.fail_on, options.require_complete))


def _locate_in_manifest(report: Report, manifest: str, line: int | None) -> Report:
    """Findings about inputs written in the manifest itself point at the target's table."""
    results = tuple(
        replace(r, finding=replace(r.finding, location=Location(manifest, line)))
        if r.finding is not None and (r.finding.location is None or not r.finding.location.is_file) else r
        for r in report.results)
    return replace(report, results=results)
