"""The fleet roll-up as one self-contained HTML page: counts, a sortable table, memory maps.

At fleet scale people look rather than read: the page opens with the counts
by verdict and reason, then one table row per host (click a heading to sort,
or press Enter on it) with the host's physical memory map drawn as SVG.

Self-contained and safe to open whatever the reports say: no external
resource of any kind, every string from a report HTML-escaped (reports are
untrusted input), no report data inside the script, and a Content Security
Policy that allows only this page's own script (by its hash) and inline styles.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from kcheck import __version__
from kcheck.domain.fleet import VERDICT_WORDS, HostRow, Rollup
from kcheck.domain.units import human_size
from kcheck.reporters.fleet_svg import html_text, memory_svg

_SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("hosts");
  if (!table || !table.tHead || !table.tBodies.length) { return; }
  var heads = table.tHead.rows[0].cells;
  var body = table.tBodies[0];
  function key(row, index, numeric) {
    var value = row.cells[index].getAttribute("data-sort") || "";
    return numeric ? (value === "" ? -1 : Number(value)) : value.toLowerCase();
  }
  function sortBy(th, index) {
    var direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var numeric = th.getAttribute("data-type") === "number";
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, position) {
      return { row: row, key: key(row, index, numeric), position: position };
    });
    keyed.sort(function (a, b) {
      if (a.key < b.key) { return -direction; }
      if (a.key > b.key) { return direction; }
      return a.position - b.position;
    });
    for (var i = 0; i < heads.length; i++) { heads[i].setAttribute("aria-sort", "none"); }
    th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
  }
  Array.prototype.forEach.call(heads, function (th, index) {
    if (th.getAttribute("data-type") === "none") { return; }
    th.tabIndex = 0;
    th.setAttribute("aria-sort", "none");
    th.addEventListener("click", function () { sortBy(th, index); });
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(th, index); }
    });
  });
}());
"""

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
.meta { color: #555; margin: 0 0 1em; }
.counts li { margin: .2em 0; }
.counts li.v-will-not-capture strong { color: #b52a1c; }
.counts li.v-incomplete strong { color: #a66a00; }
.counts li.v-unchecked strong { color: #7b3a96; }
.counts li.v-captures strong { color: #23763a; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; cursor: pointer; user-select: none; white-space: nowrap; position: sticky; top: 0; }
th[data-type="none"] { cursor: default; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
tr.v-will-not-capture td:first-child { border-left: 4px solid #c0392b; }
tr.v-incomplete td:first-child { border-left: 4px solid #e0a000; }
tr.v-unchecked td:first-child { border-left: 4px solid #8e44ad; }
tr.v-captures td:first-child { border-left: 4px solid #2e9e4f; }
td.reason { min-width: 20em; max-width: 40em; overflow-wrap: anywhere; }
tbody tr { content-visibility: auto; contain-intrinsic-size: auto 90px; }
.map text { font: 10px system-ui, sans-serif; fill: #444; }
.map text.bad { fill: #b52a1c; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: 1em; height: .8em; margin-right: .3em; vertical-align: middle; }
code { font-size: 90%; }
"""

_LEGEND = (("#cfe3cf", "System RAM"), ("#3b6fb6", "system kernel"), ("#e8a33d", "crash kernel region"),
           ("#7a56b0", "capture kernel"), ("#2f9c8f", "initrd"), ("#8a8a8a", "kexec data"),
           ("#e74c3c", "needed beyond the region"))
_COLUMNS = (("Host", "text"), ("Verdict", "number"), ("Rule", "text"), ("Reason", "text"),
            ("Release", "text"), ("Service", "text"), ("RAM", "number"), ("Crash region", "number"),
            ("Errors", "number"), ("Warnings", "number"), ("Memory map", "none"))
_RANK = {"will-not-capture": 0, "incomplete": 1, "unchecked": 2, "captures": 3}


def _cell(text: str | None, sort: str | int | None = None, css: str = "") -> str:
    value = html_text(text) if text else "&#8212;"
    key = html_text(str(sort)) if sort is not None else (html_text(text) if text else "")
    klass = f' class="{css}"' if css else ""
    return f'<td data-sort="{key}"{klass}>{value}</td>'


def _row(row: HostRow) -> str:
    region = None
    if row.region_size is not None:
        region = human_size(row.region_size) + (f" at {row.region_start:#x}" if row.region_start is not None else "")
    elif row.crashkernel:
        region = f"crashkernel={row.crashkernel}"
    reason = row.reason
    cells = [
        _cell(row.host),
        _cell(VERDICT_WORDS[row.verdict], _RANK[row.verdict]),
        _cell(row.rule),
        _cell(reason, css="reason"),
        _cell(row.release),
        _cell(row.service),
        _cell(human_size(row.memory) if row.memory else None, row.memory if row.memory is not None else ""),
        _cell(region, row.region_size if row.region_size is not None else ""),
        _cell(str(row.errors), row.errors),
        _cell(str(row.warnings), row.warnings),
        f'<td class="map">{memory_svg(row)}</td>',
    ]
    return f'<tr class="v-{row.verdict}" title="{html_text(row.source)}">' + "".join(cells) + "</tr>"


def render_rollup(rollup: Rollup, *, color: bool = False, fail_on: str | None = "error") -> str:
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:"
    versions = ", ".join(f"kcheck {v} ({n})" for v, n in sorted(rollup.versions.items()))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>kcheck fleet: {len(rollup.rows)} hosts</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>kdump pre-flight: will each host capture a crash dump?</h1>",
        f'<p class="meta">{len(rollup.rows)} hosts from {rollup.files - len(rollup.unreadable)} of '
        f"{rollup.files} report files; reports written by {html_text(versions) or 'unknown versions'}; "
        f"rolled up by kcheck {escape(__version__)}.</p>",
        '<ul class="counts" id="counts">',
    ]
    for verdict, count in rollup.by_verdict():
        out.append(f'<li class="v-{verdict}"><strong>{count} {"host" if count == 1 else "hosts"} '
                   f"{VERDICT_WORDS[verdict]}</strong>")
        reasons = rollup.by_reason(verdict) if verdict != "captures" else []
        if reasons:
            out.append("<ul>")
            out.extend(f"<li>{n} &#8212; {html_text(label)}" + (f" (<code>{html_text(rule)}</code>)" if rule else "")
                       + "</li>" for rule, label, n in reasons)
            out.append("</ul>")
        out.append("</li>")
    out.append("</ul>")
    out.append('<p class="legend">' + "".join(f'<span><i style="background:{colour}"></i>{name}</span>'
                                              for colour, name in _LEGEND) + "</p>")
    out.append('<table id="hosts"><thead><tr>' + "".join(
        f'<th data-type="{kind}" scope="col">{name}</th>' for name, kind in _COLUMNS) + "</tr></thead><tbody>")
    out.extend(_row(row) for row in rollup.sorted_rows())
    out.append("</tbody></table>")
    if rollup.unreadable:
        out.append(f'<h2 id="unreadable">{len(rollup.unreadable)} report files could not be read</h2><ul>')
        out.extend(f"<li><code>{html_text(path)}</code>: {html_text(message)}</li>" for path, message in rollup.unreadable)
        out.append("</ul>")
    out.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(out) + "\n"
