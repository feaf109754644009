"""Reporters render a :class:`~kcheck.domain.findings.Report`; they never decide anything.

Each format is one module with ``render(report, *, color, verbose, fail_on)``
and the per-target parts a batch is streamed from (:mod:`kcheck.reporters.stream`,
which renders every format's batches).  The registry maps ``--format`` names
to module paths so that only the requested reporter is imported.  ``fail_on``
(None for ``never``) is the exit-status threshold, for formats that mark
failures themselves (JUnit).
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable

from kcheck.domain.findings import BatchReport, Report, TargetReport

FORMATS = {
    "text": "kcheck.reporters.text",
    "json": "kcheck.reporters.json_report",
    "sarif": "kcheck.reporters.sarif",
    "junit": "kcheck.reporters.junit",
    "github": "kcheck.reporters.github",
}

#: ``kcheck fleet --format`` names: each module has ``render_rollup(rollup, *, color, fail_on)``.
FLEET_FORMATS = {
    "text": "kcheck.reporters.fleet_text",
    "json": "kcheck.reporters.fleet_json",
    "junit": "kcheck.reporters.fleet_junit",
    "html": "kcheck.reporters.fleet_html",
}

Renderer = Callable[..., str]


def rollup_renderer(name: str) -> Renderer:
    """The ``render_rollup`` function of the fleet reporter called ``name``."""
    render: Renderer = importlib.import_module(FLEET_FORMATS[name]).render_rollup
    return render


def renderer(name: str, *, batch: bool = False) -> Renderer:
    """The ``render`` function of the reporter called ``name``; with ``batch``, the
    batch renderer, which is :mod:`kcheck.reporters.stream`'s for every format
    (the stream module sits above the formats, so a format never imports it)."""
    if batch:
        if name not in FORMATS:
            raise KeyError(name)
        return functools.partial(importlib.import_module("kcheck.reporters.stream").render_whole, name)
    render: Renderer = importlib.import_module(FORMATS[name]).render
    return render


def render(name: str, subject: Report | BatchReport, **options: object) -> str:
    """Render one report or a batch in format ``name``."""
    return renderer(name, batch=isinstance(subject, BatchReport))(subject, **options)


def single_target(report: Report) -> TargetReport:
    """A lone report as a nameless batch target, so batch-shaped formats need one code path."""
    return TargetReport(name="", report=report, error=None, exit_status=0)


def verdict_word(report: Report, counts: dict[str, int] | None = None) -> str:
    """``fail``, ``incomplete``, ``warnings`` or ``ok``: errors decide, then completeness.

    An incomplete report is never "ok": some rule that may apply was not judged.
    """
    counts = counts or summary(report)
    if counts["error"]:
        return "fail"
    if counts["undecided"]:
        return "incomplete"
    return "warnings" if counts["warning"] else "ok"


def relative_path(path: str) -> str:
    """``path`` relative to the current directory when it is below it (code scanning
    resolves paths against the checkout), else absolute; always with ``/``."""
    absolute = os.path.abspath(path)
    here = os.getcwd()
    if absolute == here or absolute.startswith(here.rstrip(os.sep) + os.sep):
        path = os.path.relpath(absolute, here)
    else:
        path = absolute
    return path.replace(os.sep, "/")


def summary(report: Report) -> dict[str, int]:
    """Counts shared by every format; ``undecided`` are the skipped rules that could not be judged."""
    counts = {"error": 0, "warning": 0, "info": 0, "waived": 0,
              "passed": 0, "failed": 0, "skipped": 0, "undecided": 0}
    for result in report.results:
        counts[{"pass": "passed", "fail": "failed", "skip": "skipped"}[result.status.value]] += 1
        if result.undecided:
            counts["undecided"] += 1
        finding = result.finding
        if finding is not None:
            if finding.waived:
                counts["waived"] += 1
            else:
                counts[finding.severity.label] += 1
    return counts
