"""Reporters render a :class:`~kcheck.model.Report`; they never decide anything.

Each format is one module with ``render(report, *, color) -> str``.  The
registry maps ``--format`` names to module paths so that only the requested
reporter is imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from kcheck.model import Report

FORMATS = {
    "text": "kcheck.reporters.text",
    "json": "kcheck.reporters.json_report",
}

Renderer = Callable[..., str]


def renderer(name: str) -> Renderer:
    """The ``render`` function of the reporter called ``name``."""
    module = importlib.import_module(FORMATS[name])
    render: Renderer = module.render
    return render


def summary(report: Report) -> dict[str, int]:
    """Counts shared by every format."""
    counts = {"error": 0, "warning": 0, "info": 0, "waived": 0,
              "passed": 0, "failed": 0, "skipped": 0}
    for result in report.results:
        counts[{"pass": "passed", "fail": "failed", "skip": "skipped"}[result.status.value]] += 1
        finding = result.finding
        if finding is not None:
            if finding.waived:
                counts["waived"] += 1
            else:
                counts[finding.severity.label] += 1
    return counts
