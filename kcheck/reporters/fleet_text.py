"""The fleet roll-up for people at a terminal: counts by verdict and reason, then one row per host.

Every string comes from report files, which are untrusted: control
characters (terminal escapes, newlines) are shown as ``\\xNN``, never emitted.
"""

from __future__ import annotations

from kcheck.domain.fleet import VERDICT_WORDS, HostRow, Rollup
from kcheck.domain.units import human_size
from kcheck.reporters.escape import terminal

_COLOURS = {"will-not-capture": "31", "incomplete": "33", "unchecked": "35", "captures": "32"}
COLUMNS = ("HOST", "RELEASE", "SERVICE", "REGION", "VERDICT", "RULE", "REASON")


def clean(text: str | None, limit: int = 300) -> str:
    """One printable line: control characters escaped, long text cut."""
    if text is None:
        return "-"
    text = terminal(text, line=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def region_text(row: HostRow) -> str:
    if row.region_size is None:
        return "none" if row.kind == "preflight" else (f"crashkernel={clean(row.crashkernel, 40)}"
                                                         if row.crashkernel else "-")
    size = human_size(row.region_size)
    return f"{size}@{row.region_start:#x}" if row.region_start is not None else size


def render_rollup(rollup: Rollup, *, color: bool = False, fail_on: str | None = "error") -> str:
    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if color else text

    versions = ", ".join(f"kcheck {clean(v, 40)}" + (f" ({n})" if len(rollup.versions) > 1 else "")
                         for v, n in sorted(rollup.versions.items()))
    lines = [paint(f"kcheck fleet: {len(rollup.rows)} hosts from {rollup.files - len(rollup.unreadable)} "
                   f"of {rollup.files} report files" + (f" ({versions})" if versions else ""), "1")]
    for verdict, count in rollup.by_verdict():
        lines.append("  " + paint(clean(rollup.summary_line(verdict, count), 2000), _COLOURS[verdict]))
    ordered = rollup.sorted_rows()
    rows = [[clean(row.host, 60), clean(row.release, 40), clean(row.service, 20), region_text(row),
             VERDICT_WORDS[row.verdict], clean(row.rule, 12), clean(row.reason, 160)]
            for row in ordered]
    if rows:
        widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in rows)) for i in range(len(COLUMNS) - 1)]
        lines.append("")
        lines.append(paint("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)) + "  REASON", "1"))
        for row, cells in zip(ordered, rows):
            text = "  ".join(c.ljust(w) for c, w in zip(cells, widths)) + "  " + cells[-1]
            lines.append(paint(text, _COLOURS[row.verdict]) if row.verdict != "captures" else text)
    if rollup.unreadable:
        lines.append("")
        lines.append(paint(f"{len(rollup.unreadable)} report files could not be read:", "1"))
        lines.extend(f"  {clean(path, 400)}: {clean(message, 400)}" for path, message in rollup.unreadable)
    return "\n".join(lines) + "\n"
