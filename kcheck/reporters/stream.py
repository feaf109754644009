"""Batch reports written as the targets finish, in every format, as one valid document.

This module sits above the format modules: it uses their per-target parts
(``target_dict``, ``target_results``, ...), and none of them imports it; the
registry (:func:`kcheck.reporters.renderer`) gives :func:`render_whole` as
every format's batch renderer.

A fleet manifest has thousands of targets; holding every report to render
them at the end cost ~0.4 MiB per target.  Instead each target is rendered on
its own, where it was checked (a worker process), into a :class:`Piece`: the
target's fragment of the output document and the few numbers the document's
ending needs.  The parent's :class:`BatchWriter` writes a document's opening,
each fragment in manifest order, then the ending, so that its memory does not
grow with the number of targets:

- text: each target's report, then the waivers and the summary table (one
  row per target is kept for it: a name and three words);
- JSON (``schemas/batch-report.schema.json``): the same document as rendering
  it whole, byte for byte (``targets`` before ``waivers`` and ``summary``);
- SARIF: ``results`` as they come; the run's ``invocations`` (notifications,
  ``executionSuccessful``) after them, its notifications spooled meanwhile;
- JUnit: the ``<testsuites>`` element carries the totals, so the suites are
  spooled (to a temporary file past 1 MiB) while they are counted;
- GitHub: annotation lines as they come, the totals line last.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from kcheck.domain.findings import BatchReport, RuleInfo, Severity, TargetReport, WaiverStatus
from kcheck.domain.records import field, record
from kcheck.reporters import summary
from kcheck.reporters.escape import terminal
from kcheck.reporters.github import closing_lines, target_lines
from kcheck.reporters.json_report import target_dict, tool_dict, waiver_dict
from kcheck.reporters.junit import target_suites_xml
from kcheck.reporters.sarif import SCHEMA_URI, driver, invocation_dict, target_results
from kcheck.reporters.text import _painter, _waivers, render

FORMATS = ("text", "json", "sarif", "junit", "github")
SPOOL_IN_MEMORY = 1024 * 1024


@record
class RenderOptions:
    """How every target is rendered: the same in each worker."""

    fmt: str
    color: bool = False
    verbose: bool = False
    fail_on: Severity | None = Severity.ERROR
    require_complete: bool = False
    quiet: bool = False  # text: only the targets that failed, and only their failing findings
    rule_ids: tuple[str, ...] = ()  # SARIF's ruleIndex: the rule's position among the run's descriptors


@record
class Piece:
    """One target as rendered by the process that checked it: small enough to send back."""

    name: str
    exit_status: int
    readable: bool
    text: str
    error: str | None = None
    complete: bool = True  # every rule that may apply was judged
    undecided: int = 0
    causes: tuple[str, ...] = ()
    side: str = ""  # SARIF: the target's notifications
    counts: dict[str, int] = field(default_factory=dict)
    waivers: tuple[WaiverStatus, ...] = ()


def render_piece(target: TargetReport, options: RenderOptions) -> Piece:
    """``target`` rendered for ``options.fmt`` (its waiver statuses travel apart: the batch merges them)."""
    counts = summary(target.report) if target.report is not None else {}
    side = ""
    if options.fmt == "text":
        text = _text_piece(target, options)
    elif options.fmt == "json":
        text = _indent(json.dumps(target_dict(target), indent=2), 4)
    elif options.fmt == "sarif":
        results, notifications = target_results(target, {rule: i for i, rule in enumerate(options.rule_ids)},
                                                options.require_complete)
        text, side = ",".join(map(json.dumps, results)), ",".join(map(json.dumps, notifications))
    elif options.fmt == "junit":
        text, counts = target_suites_xml(target, options.fail_on, options.require_complete)  # its own totals
    elif options.fmt == "github":
        text = "".join(line + "\n" for line in target_lines(target, options.require_complete))
    else:
        raise ValueError(f"unknown format {options.fmt!r}")
    completeness = target.report.completeness if target.report is not None else None
    return Piece(target.name, target.exit_status, target.report is not None, text, target.error,
                 completeness is None or completeness.complete,
                 completeness.undecided if completeness else 0, tuple(completeness.causes) if completeness else (),
                 side, counts)


def _text_piece(target: TargetReport, options: RenderOptions) -> str:
    if options.quiet and target.exit_status == 0:
        return ""
    heading = _painter(options.color)(f"== {terminal(target.name, line=True)} ==", "1")
    if target.report is None:
        return f"{heading}\n{terminal(f'error: {target.error}', line=True)}\n\n"
    body = render(target.report, color=options.color, verbose=options.verbose, fail_on=options.fail_on,
                  require_complete=options.require_complete, quiet=options.quiet)
    return f"{heading}\n{body}\n"


def _indent(text: str, spaces: int) -> str:
    """``json.dumps(indent=2)`` of a value nested ``spaces / 2`` deep (JSON strings hold no newline)."""
    return text.replace("\n", "\n" + " " * spaces)


class BatchWriter:
    """Writes one batch document to ``out`` piece by piece: :meth:`add` each, then :meth:`end`."""

    def __init__(self, out: IO[str], options: RenderOptions, rules: Sequence[RuleInfo] = (),
                 source: str | None = None) -> None:
        self.out, self.options, self.rules, self.source = out, options, rules, source
        self.targets = self.failed = self.unreadable = self.exit_status = self.not_ok = 0
        self.incomplete = self.undecided = 0
        self.causes: dict[str, None] = {}  # the distinct causes of rules not judged (a handful)
        self.totals: dict[str, int] = {}
        self._rows: list[tuple[str, str, str, str]] = []
        self._spool: IO[str] | None = None
        self._spooled = False
        self._begin()

    def add(self, piece: Piece) -> None:
        first = self.targets == 0
        self.targets += 1
        self.failed += piece.exit_status == 1
        self.not_ok += piece.exit_status != 0  # the text table's "failed": findings or unreadable
        if not piece.complete:
            self.incomplete += 1
            self.undecided += piece.undecided
            self.causes.update(dict.fromkeys(piece.causes))
        self.unreadable += not piece.readable
        self.exit_status = max(self.exit_status, piece.exit_status)
        for key, value in piece.counts.items():
            self.totals[key] = self.totals.get(key, 0) + value
        fmt = self.options.fmt
        if fmt == "text":
            if not (self.options.quiet and piece.exit_status == 0):
                self._rows.append(_row(piece))
            self.out.write(piece.text)
        elif fmt == "json":
            self.out.write(("" if first else ",") + "\n    " + piece.text)
        elif fmt == "sarif":
            if piece.text:
                self.out.write(("," if self._spooled_results else "") + piece.text)
                self._spooled_results = True
            if piece.side:
                self._spill(piece.side, ",")
        elif fmt == "junit":
            self._spill(piece.text, "")
        else:
            self.out.write(piece.text)

    def end(self, waivers: Sequence[WaiverStatus]) -> None:
        """The document's ending: waivers, the summary, the totals."""
        fmt = self.options.fmt
        if fmt == "text":
            if not self.options.quiet:
                self.out.write("".join(line + "\n\n" for line in _waivers(tuple(waivers), self.options.verbose)))
            self.out.write(_table(self._rows, self.targets, self.not_ok))
        elif fmt == "json":
            self.out.write(("\n  ]" if self.targets else "]") + ",\n  \"waivers\": "
                           + _indent(json.dumps([waiver_dict(w) for w in waivers], indent=2), 2)
                           + ",\n  \"summary\": " + _indent(json.dumps(self.summary(), indent=2), 2) + "\n}\n")
        elif fmt == "sarif":
            invocation = json.dumps(invocation_dict(self.unreadable == 0, self.incomplete == 0, self.undecided,
                                                    list(self.causes),
                                                    [], waivers))
            head, tail = invocation.split('"toolExecutionNotifications": []', 1)
            self.out.write('], "invocations": [' + head + '"toolExecutionNotifications": [')
            self._copy_spool()
            self.out.write("]" + tail + "]}]}\n")
        elif fmt == "junit":
            keys = ("tests", "failures", "errors", "skipped")
            attributes = "".join(f' {key}="{self.totals.get(key, 0)}"' for key in keys)
            self.out.write(f"<?xml version='1.0' encoding='utf-8'?>\n<testsuites name=\"kcheck\"{attributes} time=\"0\"")
            if self._spooled:
                self.out.write(">")
                self._copy_spool()
                self.out.write("\n</testsuites>\n")
            else:
                self.out.write(" />\n")
        else:
            self.out.write("".join(line + "\n" for line in closing_lines(waivers, self.totals)))
        self.out.flush()

    def summary(self) -> dict[str, int]:
        return {"targets": self.targets, "failed": self.failed, "unreadable": self.unreadable,
                "incomplete": self.incomplete, "exit_status": self.exit_status}

    def _begin(self) -> None:
        self._spooled_results = False
        fmt = self.options.fmt
        if fmt == "json":
            self.out.write('{\n  "tool": ' + _indent(json.dumps(tool_dict(), indent=2), 2)
                           + ',\n  "manifest": ' + json.dumps(self.source) + ',\n  "targets": [')
        elif fmt == "sarif":
            self.out.write('{"$schema": ' + json.dumps(SCHEMA_URI) + ', "version": "2.1.0", "runs": [{"tool": '
                           + json.dumps({"driver": driver(self.rules)}) + ', "results": [')

    def _spill(self, text: str, separator: str) -> None:
        """Keep ``text`` for the ending: in memory up to 1 MiB, then in a temporary file."""
        if self._spool is None:
            self._spool = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY, mode="w+", encoding="utf-8",
                                                        errors="surrogateescape")
        if self._spooled and separator:
            self._spool.write(separator)
        self._spool.write(text)
        self._spooled = True

    def _copy_spool(self) -> None:
        if self._spool is None:
            return
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, self.out)
        self._spool.close()
        self._spool = None


def _row(piece: Piece) -> tuple[str, str, str, str]:
    name = terminal(piece.name, line=True)
    if not piece.readable:
        return name, "-", "-", terminal(f"error: {piece.error}", line=True)
    return (name, str(piece.counts.get("error", 0)), str(piece.counts.get("warning", 0)),
            "FAIL" if piece.exit_status else "ok" if piece.complete else "incomplete")


def _table(rows: list[tuple[str, str, str, str]], targets: int, failed: int) -> str:
    width = max([len("target")] + [len(row[0]) for row in rows])
    lines = [f"{'target':<{width}}  errors  warnings  verdict"]
    lines.extend(f"{name:<{width}}  {errors:>6}  {warnings:>8}  {verdict}" for name, errors, warnings, verdict in rows)
    lines.append(f"{targets} targets, {failed} failed")
    return "".join(line + "\n" for line in lines)


def write_batch(out: IO[str], targets: Iterable[TargetReport], options: RenderOptions,
                rules: Sequence[RuleInfo], waivers: Sequence[WaiverStatus], source: str | None) -> BatchWriter:
    """Render targets already checked (``lint-configs``, a :class:`~kcheck.domain.findings.BatchReport`)."""
    writer = BatchWriter(out, options, rules, source)
    for target in targets:
        writer.add(render_piece(target, options))
    writer.end(waivers)
    return writer


def render_whole(fmt: str, batch: BatchReport, **options: Any) -> str:
    """A whole :class:`~kcheck.domain.findings.BatchReport` as one string, through the same writer."""
    out = io.StringIO()
    write_batch(out, batch.targets, options_for(fmt, batch.rules, **options), batch.rules, batch.waivers,
                batch.source)
    return out.getvalue()


def rule_ids(rules: Sequence[RuleInfo]) -> tuple[str, ...]:
    return tuple(rule.id for rule in rules)


def options_for(fmt: str, rules: Sequence[RuleInfo], **kwargs: Any) -> RenderOptions:
    return RenderOptions(fmt, rule_ids=rule_ids(rules) if fmt == "sarif" else (), **kwargs)
