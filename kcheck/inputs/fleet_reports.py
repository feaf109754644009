"""Read kcheck JSON reports for the fleet roll-up: one row per host or target.

Accepted, recognised from their contents (never from their names):

* a ``kcheck preflight --format json`` report (one host, named after the file);
* a ``kcheck check --format json`` report (one set-up, named after the file);
* a ``kcheck check --manifest ... --format json`` batch report (one row per target);
* a host entry as the Ansible playbook writes it: ``{"host": NAME, "report":
  REPORT or null, "error": TEXT or null}``.

Reports are untrusted: only the fields the roll-up shows are read, each checked
for its type, and a file that is not one of these is one :class:`InputError`
naming the file.  Each file is parsed, reduced to small rows and dropped, so
memory stays flat however many reports there are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from kcheck.domain.errors import InputError
from kcheck.domain.findings import SYMPTOMS, VERDICT_ORDER  # the order kcheck preflight decides by
from kcheck.domain.fleet import Area, HostRow
from kcheck.inputs.files import MiB, decode_text, read_bounded

#: The report schema versions this kcheck reads (schemas/report.schema.json).
SCHEMA_VERSIONS = (1,)
#: A batch report of a large manifest holds every target's report.
REPORT_LIMIT = 64 * MiB
#: More ranges than any machine's /proc/iomem lists System RAM in.
MAX_AREAS = 4096
#: Addresses, sizes and counts are 64-bit quantities.
LIMIT = 1 << 64


class Malformed(Exception):
    """A field of the right name with the wrong shape: ``path: what``."""


def list_report_files(paths: tuple[str, ...]) -> list[str]:
    """The files to read: each file named, and the ``*.json`` files of each directory (sorted)."""
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            try:
                names = sorted(n for n in os.listdir(path) if n.endswith(".json") and not n.startswith("."))
            except OSError as exc:
                raise InputError(path, exc.strerror or str(exc)) from None
            files.extend(os.path.join(path, name) for name in names)
        else:
            files.append(path)
    return files


def read_rows(path: str, *, areas: bool = True) -> list[HostRow]:
    """The rows one report file holds; InputError when it is not a kcheck report we read.

    ``areas``: also read each memory map's areas (only the HTML page draws them).
    """
    text = decode_text(path, read_bounded(path, REPORT_LIMIT, what="kcheck JSON report"),
                       what="kcheck JSON report")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise InputError(path, "not a kcheck report (JSON nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise InputError(path, f"not a kcheck report ({exc})") from None
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        return list(_rows(data, stem, path, areas))
    except Malformed as exc:
        raise InputError(path, f"malformed kcheck report: {exc}") from None


def _rows(data: Any, stem: str, path: str, areas: bool) -> Iterator[HostRow]:
    if not isinstance(data, dict):
        raise InputError(path, f"not a kcheck report (a JSON {_kind(data)}, not an object)")
    if "tool" not in data and "host" in data and "report" in data:
        yield _entry(data, path, areas)
        return
    _check_tool(data, path)
    if "targets" in data:
        targets = _get(data, "targets", list)
        for index, target in enumerate(targets):
            where = f"targets[{index}]"
            if not isinstance(target, dict):
                raise Malformed(f"{where}: expected an object")
            name = _get(target, "name", str, where)
            report = target.get("report")
            if report is None:
                yield HostRow(name, f"{path}#{name}", "unchecked", "unchecked",
                              reason=_get(target, "error", (str, type(None)), where) or "not checked",
                              tool_version=data["tool"]["version"])
            else:
                yield _report_row(_obj(report, f"{where}.report"), name, f"{path}#{name}", f"{where}.report", areas)
        return
    yield _report_row(data, stem, path, "", areas)


def _entry(data: dict[str, Any], path: str, areas: bool) -> HostRow:
    """A host entry of the playbook: the module's report, or why there is none."""
    host = _get(data, "host", str)
    report = data.get("report")
    if report is None:
        error = _get(data, "error", (str, type(None))) or "no report"
        return HostRow(host, path, "unchecked", "unchecked", reason=error)
    report = _obj(report, "report")
    _check_tool(report, path)
    return _report_row(report, host, path, "report", areas)


def _check_tool(data: dict[str, Any], path: str) -> None:
    tool = data.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "kcheck":
        raise InputError(path, f"not a kcheck report ({_whose(data)})")
    version = tool.get("schema_version")
    if version not in SCHEMA_VERSIONS or isinstance(version, bool):
        supported = ", ".join(str(v) for v in SCHEMA_VERSIONS)
        raise InputError(path, f"kcheck report schema_version {version!r} (kcheck "
                               f"{str(tool.get('version'))[:40]}) is not supported; "
                               f"this kcheck reads schema_version {supported}")
    if not isinstance(tool.get("version"), str):
        raise Malformed("tool.version: expected a string")


def _whose(data: dict[str, Any]) -> str:
    """Name another tool's JSON, when it says what it is."""
    if "runs" in data and "version" in data:
        return "a SARIF log; kcheck fleet reads --format json reports"
    tool = data.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("name"), str):
        return f"tool.name is {tool['name'][:60]!r}, not 'kcheck'"
    return "no tool.name 'kcheck'"


def _report_row(report: dict[str, Any], name: str, source: str, where: str, with_areas: bool) -> HostRow:
    prefix = f"{where}." if where else ""
    inputs = _get(report, "inputs", dict, where)
    findings = _get(report, "findings", list, where)
    errors = warnings = 0
    deciding: list[tuple[tuple[int, int, str], dict[str, Any]]] = []
    for index, finding in enumerate(findings):
        at = f"{prefix}findings[{index}]"
        finding = _obj(finding, at)
        if finding.get("waived"):
            continue
        severity = _get(finding, "severity", str, at)
        if severity == "warning":
            warnings += 1
        elif severity == "error":
            errors += 1
            rule = _get(finding, "rule", str, at)
            kernel = finding.get("concerns", finding.get("kernel"))   # "kernel": the old name
            order = VERDICT_ORDER.index(kernel) if kernel in VERDICT_ORDER else 99
            deciding.append(((rule in SYMPTOMS, order, rule), finding))
    host = inputs.get("host")
    host = _obj(host, f"{prefix}inputs.host") if host is not None else None
    system = _obj(inputs.get("system") or {}, f"{prefix}inputs.system")
    verdict, reason, rule, title = _verdict(report, deciding, prefix)
    region_start, region_size = _region(host, report, prefix)
    memory_map = report.get("memory_map")
    areas, needed, conflicts = _map(_obj(memory_map, f"{prefix}memory_map")
                                    if memory_map is not None else None, prefix, with_areas)
    cmdline = _opt(inputs, "cmdline", str, f"{prefix}inputs")
    return HostRow(
        host=name, source=source, kind="preflight" if host is not None else "check",
        verdict=verdict, reason=reason, rule=rule, title=title,
        tool_version=report["tool"]["version"] if isinstance(report.get("tool"), dict) else None,
        release=_opt(host, "release", str, f"{prefix}inputs.host") if host else
        _opt(system, "version", str, f"{prefix}inputs.system"),
        arch=_opt(system, "arch", str, f"{prefix}inputs.system"),
        service=_opt(host, "service", str, f"{prefix}inputs.host") if host else None,
        memory=_opt(host, "memory", int, f"{prefix}inputs.host") if host else
        _opt(inputs, "memory", int, f"{prefix}inputs"),
        region_start=region_start, region_size=region_size,
        crashkernel=_crashkernel(cmdline), errors=errors, warnings=warnings,
        needed=needed, areas=areas, conflicts=conflicts)


def _verdict(report: dict[str, Any], deciding: list[Any], prefix: str
             ) -> tuple[str, str | None, str | None, str | None]:
    """The report's own verdict (pre-flight), else the one its errors imply (check).

    An error decides: the host will not capture.  Without one, a report that
    says some rule could not be judged (``captures: null``, ``complete:
    false``) is incomplete, never "will capture".
    """
    def title_of(rule: str | None) -> str | None:
        return next((f.get("title") for _, f in deciding if f.get("rule") == rule
                     and isinstance(f.get("title"), str)), None)

    verdict = report.get("verdict")
    if verdict is not None:
        where = f"{prefix}verdict"
        verdict = _obj(verdict, where)
        captures = _get(verdict, "captures", (bool, type(None)), where)
        reason = _opt(verdict, "reason", str, where)
        rule = _opt(verdict, "rule", str, where)
        if captures is False:
            return "will-not-capture", reason, rule, title_of(rule)
        if captures is None or verdict.get("complete") is False:
            return "incomplete", reason or _undecided(verdict, where), rule, title_of(rule)
        return "captures", None, None, None
    if deciding:
        finding = min(deciding, key=lambda pair: pair[0])[1]
        message = finding.get("message")
        return ("will-not-capture", message if isinstance(message, str) else None,
                finding["rule"], title_of(finding["rule"]))
    summary = report.get("summary")
    if isinstance(summary, dict) and summary.get("complete") is False:
        return "incomplete", _undecided(summary, f"{prefix}summary"), None, None
    return "captures", None, None, None


def _undecided(data: dict[str, Any], where: str) -> str:
    """Why rules could not be judged, from ``undecided_causes``."""
    causes = _opt(data, "undecided_causes", list, where) or []
    causes = [c for c in causes if isinstance(c, str)]
    return ("some rules could not be judged: " + "; ".join(causes[:8])) if causes else \
        "some rules could not be judged"


def _region(host: dict[str, Any] | None, report: dict[str, Any], prefix: str
            ) -> tuple[int | None, int | None]:
    """The crash region kexec loads into: the host's last one, else the map's."""
    if host is not None:
        regions = host.get("crash_regions")
        if isinstance(regions, list) and regions:
            last = _obj(regions[-1], f"{prefix}inputs.host.crash_regions[-1]")
            start = _get(last, "start", int, f"{prefix}inputs.host.crash_regions[-1]")
            end = _get(last, "end", int, f"{prefix}inputs.host.crash_regions[-1]")
            if end < start:
                raise Malformed(f"{prefix}inputs.host.crash_regions[-1]: end before start")
            return start, end - start + 1
        size = host.get("kexec_crash_size")
        if isinstance(size, int) and not isinstance(size, bool) and size > 0:
            return None, size
    memory_map = report.get("memory_map")
    if isinstance(memory_map, dict):
        for area in memory_map.get("areas") or ():
            if isinstance(area, dict) and area.get("name") == "crashkernel region":
                where = f"{prefix}memory_map.areas[]"
                return _opt(area, "start", int, where), _opt(area, "size", int, where)
    return None, None


def _map(memory_map: dict[str, Any] | None, prefix: str, with_areas: bool
         ) -> tuple[tuple[Area, ...], int | None, tuple[str, ...]]:
    if memory_map is None:
        return (), None, ()
    where = f"{prefix}memory_map"
    areas = []
    listed = _get(memory_map, "areas", list, where)
    if len(listed) > MAX_AREAS:
        raise Malformed(f"{where}.areas: {len(listed)} areas; a memory map has at most {MAX_AREAS}")
    for index, area in enumerate(listed if with_areas else ()):
        at = f"{where}.areas[{index}]"
        area = _obj(area, at)
        areas.append(Area(_get(area, "name", str, at), _opt(area, "start", int, at),
                          _opt(area, "size", int, at), area.get("inside_region") is True,
                          _opt(area, "problem", str, at)))
    conflicts = tuple(c for c in _get(memory_map, "conflicts", list, where) if isinstance(c, str))
    return tuple(areas), _opt(memory_map, "needed", int, where), conflicts


def _crashkernel(cmdline: str | None) -> str | None:
    """The last ``crashkernel=`` word of the boot line (the one the kernel uses)."""
    if not cmdline:
        return None
    words = [w for w in cmdline.split() if w.startswith("crashkernel=")]
    return words[-1][len("crashkernel="):] if words else None


def _kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), "value")


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{where}: expected an object, found a {_kind(value)}")
    return value


def _get(data: dict[str, Any], key: str, kind: Any, where: str = "") -> Any:
    path = f"{where}.{key}" if where else key
    if key not in data:
        raise Malformed(f"{path}: missing")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise Malformed(f"{path}: unexpected {_kind(value)}")
    if kind is int and not 0 <= value < LIMIT:
        raise Malformed(f"{path}: {str(value)[:30]} is out of range")
    return value


def _opt(data: dict[str, Any], key: str, kind: Any, where: str) -> Any:
    """An optional field: absent or null is None; any other type is malformed."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise Malformed(f"{where}.{key}: unexpected {_kind(value)}")
    if kind is int and not 0 <= value < LIMIT:
        raise Malformed(f"{where}.{key}: {str(value)[:30]} is out of range")
    return value
