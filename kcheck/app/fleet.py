"""``kcheck fleet``: read many report files, roll them up, render one report.

Each file is read, reduced to rows and dropped, so 10,000 reports cost the
rows, not the reports.  A file that cannot be read is one ``kcheck: error:``
line on stderr (and in the report) and the rest is still rolled up; with
1,000 files or more, progress goes to stderr too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from kcheck.domain.errors import InputError
from kcheck.domain.fleet import Rollup
from kcheck.inputs.fleet_reports import list_report_files, read_rows
from kcheck.app.output import refuse_inputs, write_atomic
from kcheck.reporters import rollup_renderer

PROGRESS_EVERY = 1000


def collect(paths: tuple[str, ...], progress: Callable[[str], None] | None = None, *,
            areas: bool = True, files: list[str] | None = None) -> Rollup:
    """Read every report under ``paths``; unreadable files are kept as error lines."""
    files = list_report_files(paths) if files is None else files
    rollup = Rollup(files=len(files))
    every = PROGRESS_EVERY if len(files) >= PROGRESS_EVERY else 0
    for number, path in enumerate(files, start=1):
        try:
            rows = read_rows(path, areas=areas)
        except InputError as exc:
            rollup.unreadable.append((exc.source, exc.message))
            if progress is not None:
                progress(f"kcheck: error: {exc.source}: {exc.message}")
            continue
        rollup.rows.extend(rows)
        for row in rows:
            if row.tool_version:
                rollup.versions[row.tool_version] += 1
        if every and progress is not None and number % every == 0:
            progress(f"kcheck fleet: {number}/{len(files)} reports read")
    return rollup


def stderr_progress(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def run_fleet(paths: tuple[str, ...], fmt: str, output: str | None, fail_on: str | None,
              *, color: bool = False) -> int:
    """Roll ``paths`` up into one report in ``fmt``; return the exit status."""
    files = list_report_files(paths)
    if output:
        refuse_inputs(output, paths)
        _refuse_listed(output, files)
    rollup = collect(paths, stderr_progress, areas=fmt == "html", files=files)
    if not rollup.rows:
        if not rollup.files:
            where = paths[0] if len(paths) == 1 else " ".join(paths)
            raise InputError(where, "no kcheck JSON reports (*.json) to roll up")
        return 2  # each file's error line is already on stderr
    text = rollup_renderer(fmt)(rollup, color=color, fail_on=fail_on)
    if output:
        write_atomic(output, text, inputs=paths)
    else:
        sys.stdout.write(text)
    return rollup.exit_status(fail_on)


def _refuse_listed(output: str, files: list[str]) -> None:
    """The output must not replace a report: compared by inode, one stat per report (no realpath)."""
    try:
        st = os.stat(output)
    except (OSError, ValueError):
        return  # a new file cannot be one of the reports
    for path in files:
        try:
            other = os.stat(path)
        except (OSError, ValueError):
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            raise InputError(output, "refusing to write output over an input file")
