"""Check many set-ups in parallel processes and combine them into one report.

``kcheck check --manifest FILE`` reads ``[[target]]`` tables (schema-checked:
the manifest is user input); ``kcheck lint-configs`` makes one same-kernel
target per config file.  Each target runs in its own process, so one
unreadable input stops only its target: that target reports the error and
exit status 2, the others still run.  Waivers are applied per target and
their staleness judged over the whole batch.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kcheck.domain.errors import InputError, KcheckError
from kcheck.domain.findings import BatchReport, Location, Report, Severity, TargetReport
from kcheck.app.pipeline import CheckRequest
from kcheck.domain.records import replace
from kcheck.app.waivers import Waiver, apply_waivers, merge_statuses

#: Manifest keys holding paths, resolved against the manifest's directory.
PATH_KEYS = ("system_config", "capture_config", "cmdline_file", "kexec_file", "system_image", "capture_image")
TEXT_KEYS = ("cmdline", "kexec", "memory", "kernel_version", "arch", "kexec_tools_version")
_TARGET_TABLE = re.compile(r"^[ \t]*\[\[[ \t]*target[ \t]*\]\]", re.MULTILINE)


@dataclass(frozen=True)
class Target:
    """One set-up to check; ``line`` is where its table starts in the manifest."""

    name: str
    request: CheckRequest
    line: int | None = None


@dataclass(frozen=True)
class BatchOptions:
    """What every target shares: rule files, waivers, the day, the threshold, the manifest."""

    rule_files: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    today: datetime.date | None = None
    fail_on: Severity | None = Severity.ERROR
    source: str | None = None
    require_complete: bool = False


def load_manifest(path: str, rule_files: tuple[str, ...] = ()) -> tuple[Target, ...]:
    """Read and validate a manifest into targets with resolved paths."""
    from kcheck.inputs.validate import read_toml, validate

    document = read_toml(path, "manifest")
    validate(document, "manifest.schema.json", path)
    lines = _table_lines(path)
    base = os.path.dirname(path)
    targets: list[Target] = []
    seen: set[str] = set()
    for index, table in enumerate(document["target"]):
        name = table["name"]
        if name in seen:
            raise InputError(path, f"target[{index}].name: {name!r} is used twice; names must be unique")
        seen.add(name)
        if not any(key in table for key in ("system_config", "capture_config", "cmdline", "cmdline_file",
                                            "kexec", "kexec_file")):
            raise InputError(path, f"target[{index}] ({name}): give at least system_config")
        fields: dict[str, Any] = {key: str(table[key]) for key in TEXT_KEYS if key in table}
        fields.update({key: os.path.normpath(os.path.join(base, table[key]))
                       for key in PATH_KEYS if key in table})
        targets.append(Target(name, CheckRequest(**fields, rule_files=rule_files),
                              lines[index] if index < len(lines) else None))
    return tuple(targets)


def _table_lines(path: str) -> list[int]:
    """1-based lines of the ``[[target]]`` headers, in order (TOML keeps no positions).

    Read bounded like the document itself, and counted on from the previous
    header: counting from the start each time took minutes for 100,000 targets.
    """
    from kcheck.inputs.files import read_bounded
    from kcheck.inputs.validate import TOML_LIMIT

    text = read_bounded(path, TOML_LIMIT, what="manifest").decode("utf-8", "replace")
    lines: list[int] = []
    number, counted = 1, 0
    for match in _TARGET_TABLE.finditer(text):
        number += text.count("\n", counted, match.start())
        counted = match.start()
        lines.append(number)
    return lines


def config_targets(paths: Sequence[str], rule_files: tuple[str, ...] = (),
                   kernel_version: str | None = None, arch: str | None = None) -> tuple[Target, ...]:
    """``lint-configs``: each file checked as a kernel that is its own capture kernel."""
    return tuple(Target(path, CheckRequest(system_config=path, kernel_version=kernel_version, arch=arch,
                                           rule_files=rule_files, config_only=True))
                 for path in dict.fromkeys(paths))


def run_batch(targets: Sequence[Target], options: BatchOptions, jobs: int | None = None) -> BatchReport:
    """Check every target, ``jobs`` processes at a time (default: one per CPU).

    User rule files are loaded once here first: a broken rule file is one
    error for the whole run, not one per target.
    """
    if options.rule_files:
        from kcheck.engine.loader import load_rules

        load_rules(options.rule_files)
    workers = min(jobs or os.cpu_count() or 1, len(targets))
    if workers <= 1:
        outcomes = [check_target(target, options) for target in targets]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(check_target, targets, [options] * len(targets)))
    reports = [outcome.report for outcome in outcomes if outcome.report is not None]
    waivers = merge_statuses(report.waivers for report in reports)
    outcomes = [replace(o, report=replace(o.report, waivers=())) if o.report else o for o in outcomes]
    rules = reports[0].rules if reports else ()
    return BatchReport(targets=tuple(outcomes), rules=rules, waivers=waivers, source=options.source)


def check_target(target: Target, options: BatchOptions) -> TargetReport:
    """One target, in a worker process: its report, or its error as one line."""
    from kcheck.app.pipeline import run_check

    try:
        report = run_check(target.request)
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
