"""The fleet roll-up as JSON, described by ``schemas/fleet-report.schema.json``."""

from __future__ import annotations

import json
from typing import Any

from kcheck import __version__
from kcheck.domain.fleet import VERDICTS, HostRow, Rollup

SCHEMA_VERSION = 1


def host_dict(row: HostRow) -> dict[str, Any]:
    return {
        "host": row.host, "source": row.source, "kind": row.kind, "verdict": row.verdict,
        "reason": row.reason, "rule": row.rule, "title": row.title,
        "kcheck_version": row.tool_version, "release": row.release, "arch": row.arch,
        "service": row.service, "memory": row.memory,
        "region": None if row.region_size is None else {"start": row.region_start, "size": row.region_size},
        "crashkernel": row.crashkernel, "needed": row.needed, "conflicts": list(row.conflicts),
        "errors": row.errors, "warnings": row.warnings,
    }


def rollup_dict(rollup: Rollup, fail_on: str | None) -> dict[str, Any]:
    counts = dict(rollup.by_verdict())
    return {
        "tool": {"name": "kcheck", "version": __version__, "schema_version": SCHEMA_VERSION},
        "kind": "fleet",
        "hosts": [host_dict(row) for row in rollup.sorted_rows()],
        "by_verdict": [{"verdict": verdict, "count": count, "text": rollup.summary_line(verdict, count)}
                       for verdict, count in rollup.by_verdict()],
        "by_reason": [{"verdict": verdict, "rule": rule, "reason": label, "count": count}
                      for verdict in VERDICTS if verdict != "captures"
                      for rule, label, count in rollup.by_reason(verdict)],
        "versions": [{"version": version, "hosts": count} for version, count in sorted(rollup.versions.items())],
        "unreadable": [{"file": path, "error": message} for path, message in rollup.unreadable],
        "summary": {
            "hosts": len(rollup.rows), "files": rollup.files, "unreadable": len(rollup.unreadable),
            **{verdict.replace("-", "_"): counts.get(verdict, 0) for verdict in VERDICTS},
            "exit_status": rollup.exit_status(fail_on),
        },
    }


def render_rollup(rollup: Rollup, *, color: bool = False, fail_on: str | None = "error") -> str:
    return json.dumps(rollup_dict(rollup, fail_on), indent=2) + "\n"
