"""Check many set-ups in parallel processes and combine them into one report.

``kcheck check --manifest FILE`` reads ``[[target]]`` tables (schema-checked:
the manifest is user input); ``kcheck lint-configs`` makes one same-kernel
target per config file.  One unreadable input stops only its target: that
target reports the error and exit status 2, the others still run.  Waivers
are applied per target and their staleness judged over the whole batch.
The report is written as targets finish (:func:`write_batch`), so a fleet of
thousands of targets runs in flat memory.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from kcheck.app.batch_pool import BatchRun
from kcheck.app.output import open_atomic, refuse_inputs
from kcheck.app.pipeline import CheckRequest, check_rules
from kcheck.app.progress import Progress
from kcheck.app.target import BatchOptions, Target, check_target  # noqa: F401 - re-exported: the batch's API
from kcheck.app.waivers import merge_statuses
from kcheck.domain.errors import InputError
from kcheck.domain.findings import BatchReport, TargetReport, WaiverStatus
from kcheck.inputs.files import read_bounded
from kcheck.inputs.validate import read_toml, validate
from kcheck.reporters.stream import BatchWriter, Piece, options_for

#: Manifest keys holding paths, resolved against the manifest's directory.
PATH_KEYS = ("system_config", "capture_config", "cmdline_file", "kexec_file", "system_image", "capture_image")
TEXT_KEYS = ("cmdline", "kexec", "memory", "kernel_version", "arch", "kexec_tools_version")
#: A fleet manifest: 10,000 targets with their own boot and kexec lines are ~5 MiB.
MANIFEST_LIMIT = 16 * 1024 * 1024
_TARGET_TABLE = re.compile(r"^[ \t]*\[\[[ \t]*target[ \t]*\]\]", re.MULTILINE)


def load_manifest(path: str, rule_files: tuple[str, ...] = ()) -> tuple[Target, ...]:
    """Read and validate a manifest into targets with resolved paths."""
    document = read_toml(path, "manifest", MANIFEST_LIMIT)
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
    text = read_bounded(path, MANIFEST_LIMIT, what="manifest").decode("utf-8", "replace")
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
    """Check every target, ``jobs`` processes at a time (default: one per CPU), keeping every report.

    For callers that want the reports themselves; the CLI streams instead
    (:func:`write_batch`), since a fleet's reports do not fit in memory.
    """
    rules = tuple(rule.info() for rule in check_rules(options.rule_files))  # a broken rule file: one error
    outcomes: list[TargetReport] = []
    waivers: tuple[WaiverStatus, ...] = ()
    with BatchRun(options, None, jobs, expected=len(targets)) as run:
        for outcome, statuses in run.results(targets):
            assert isinstance(outcome, TargetReport)
            outcomes.append(outcome)
            waivers = merge_statuses([waivers, statuses])
    return BatchReport(targets=tuple(outcomes), rules=rules if outcomes else (), waivers=waivers,
                       source=options.source)


def write_batch(targets: Sequence[Target] | Callable[[], Sequence[Target]], options: BatchOptions,
                out: IO[str], fmt: str, *, color: bool = False, verbose: bool = False, jobs: int | None = None,
                progress: Callable[[int, int], None] | None = None,
                quiet: bool = False) -> tuple[int, dict[str, int]]:
    """Check every target and write the batch report to ``out`` as the targets finish, in order.

    ``targets`` may be a function that reads them (the manifest): it is called
    once the workers have started, so they do not each hold a copy of it.
    Returns the exit status and the batch's counters (files read, configs
    parsed, processes).  Memory does not grow with the number of targets:
    see :mod:`kcheck.reporters.stream` and :mod:`kcheck.app.batch_pool`.
    """
    rules = tuple(rule.info() for rule in check_rules(options.rule_files))  # a broken rule file: one error
    render = options_for(fmt, rules, color=color, verbose=verbose, fail_on=options.fail_on,
                         require_complete=options.require_complete, quiet=quiet and fmt == "text")
    expected = None if callable(targets) else len(targets)
    with BatchRun(options, render, jobs, expected) as run:
        if callable(targets):
            targets = targets()
        writer = BatchWriter(out, render, rules, options.source)
        waivers: tuple[WaiverStatus, ...] = ()
        for done, (piece, statuses) in enumerate(run.results(targets), 1):
            assert isinstance(piece, Piece)
            writer.add(piece)
            waivers = merge_statuses([waivers, statuses])
            if progress is not None:
                progress(done, len(targets))
        writer.end(waivers)
    return writer.exit_status, run.stats


def report_batch(targets: Sequence[Target] | Callable[[], Sequence[Target]], options: BatchOptions, fmt: str,
                 output: str | None, inputs: Sequence[str | None] | Callable[[], Sequence[str | None]], *,
                 verbose: bool = False, jobs: int | None = None, progress: bool | None = None,
                 quiet: bool = False) -> int:
    """The CLI's batch: write the report to ``output`` (atomically) or stdout; return the exit status.

    ``inputs`` (or a function giving them once the targets are read) are the
    files the output must never replace.  ``progress`` None shows progress when
    stderr is a terminal.  ``verbose`` also says on stderr how many files were
    read and configs parsed.
    """
    count = [0]

    def read_targets() -> Sequence[Target]:
        found = targets() if callable(targets) else targets
        if output:
            refuse_inputs(output, inputs() if callable(inputs) else inputs)
        count[0] = len(found)
        return found

    terminal = sys.stderr.isatty()
    meter = Progress(sys.stderr, terminal=terminal) if (terminal if progress is None else progress) else None
    color = output is None and fmt == "text" and sys.stdout.isatty()
    source: Sequence[Target] | Callable[[], Sequence[Target]] = read_targets
    if not callable(targets):
        source = read_targets()
    try:
        if output:
            with open_atomic(output, inputs=()) as out:
                status, stats = write_batch(source, options, out, fmt, color=color, verbose=verbose, quiet=quiet,
                                            jobs=jobs, progress=meter)
        else:
            status, stats = write_batch(source, options, sys.stdout, fmt, color=color, verbose=verbose, quiet=quiet,
                                        jobs=jobs, progress=meter)
    finally:
        if meter is not None:
            meter.close()
    if verbose:
        sys.stderr.write(f"kcheck: {count[0]} targets in {stats.get('processes', 0)} process(es): "
                         f"{stats.get('reads', 0)} input files read, {stats.get('parses', 0)} configs parsed, "
                         f"{stats.get('hits', 0)} inputs answered from memory\n")
    return status
