"""A host's physical memory map as a small SVG picture, for the fleet HTML page.

Two bars: the whole physical address space (System RAM, the system kernel,
each crash kernel region), and the region kexec loads into, enlarged below
it (capture kernel at the bottom, initrd at the top, kexec's own data), with
what kexec needs beyond the region drawn past its end in red.  Every string
comes from a report and is escaped; every number is formatted here.
"""

from __future__ import annotations

from kcheck.domain.fleet import Area, HostRow
from kcheck.domain.text import abbreviate
from kcheck.domain.units import human_size
from kcheck.reporters import escape

WIDTH, HEIGHT = 420, 74
LEFT, RIGHT = 4, 416
_FILL = {"System RAM": "#cfe3cf", "system kernel": "#3b6fb6", "crash": "#e8a33d",
         "capture kernel": "#7a56b0", "initrd": "#2f9c8f", "kexec data": "#8a8a8a"}


def _fill(name: str) -> str:
    if name.startswith(("crashkernel region", "crash kernel region")):
        return _FILL["crash"]
    return next((colour for key, colour in _FILL.items() if name.startswith(key)), "#b0b0b0")


def html_text(value: str, limit: int = 300) -> str:
    """Report text for an SVG/HTML text node or attribute: escaped, one line, bounded."""
    return escape.html_text(abbreviate(value, limit))


def _rect(x: float, y: float, w: float, h: float, fill: str, title: str, extra: str = "") -> str:
    return (f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1.5):.1f}" height="{h}" fill="{fill}"{extra}>'
            f"<title>{html_text(title)}</title></rect>")


def _label(area: Area) -> str:
    where = f" at {area.start:#x}" if area.start is not None else ""
    size = human_size(area.size) if area.size is not None else "size unknown"
    problem = f" !! {area.problem}" if area.problem else ""
    return f"{area.name}: {size}{where}{problem}"


def memory_svg(row: HostRow) -> str:
    """The picture of ``row``'s memory map (a short note when the report has none)."""
    label = f"physical memory map of {row.host}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html_text(label)}">']
    outside = [a for a in row.areas if not a.inside_region and a.start is not None and a.size]
    region = next((a for a in row.areas if a.name == "crashkernel region"), None)
    inside = [a for a in row.areas if a.inside_region and a.size]
    if not row.areas:
        note = "no memory map in this report" if row.kind != "unchecked" else "not checked"
        if row.kind == "preflight" and row.region_size is None:
            note = "no crash kernel region reserved"
        parts.append(f'<text x="{LEFT}" y="20" class="note">{html_text(note)}</text></svg>')
        return "".join(parts)
    top = max((a.start + a.size for a in outside), default=0)
    if top:
        parts.extend(_address_bar(outside, top, region))
    else:
        parts.append(f'<text x="{LEFT}" y="20" class="note">region placed by the kernel at boot</text>')
    if region is not None and region.size:
        parts.extend(_region_bar(region, inside, row.needed))
    elif row.conflicts:
        parts.append(f'<text x="{LEFT}" y="50" class="bad">{html_text(row.conflicts[0])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _address_bar(outside: list[Area], top: int, region: Area | None) -> list[str]:
    scale = (RIGHT - LEFT) / top
    parts = [f'<text x="{LEFT}" y="9" class="axis">0</text>',
             f'<text x="{RIGHT}" y="9" class="axis" text-anchor="end">{human_size(top)}</text>',
             f'<rect x="{LEFT}" y="12" width="{RIGHT - LEFT}" height="12" fill="#f0f0f0"/>']
    order = sorted(outside, key=lambda a: (a.name != "System RAM", a.start or 0))
    for area in order:
        assert area.start is not None and area.size is not None
        parts.append(_rect(LEFT + area.start * scale, 12, area.size * scale, 12, _fill(area.name), _label(area),
                           ' stroke="#c0392b" stroke-width="1"' if area.problem else ""))
    if region is not None and region.start is not None and region.size:
        x0, x1 = LEFT + region.start * scale, LEFT + (region.start + region.size) * scale
        parts.append(f'<polygon points="{x0:.1f},24 {max(x1, x0 + 1.5):.1f},24 {RIGHT},36 {LEFT},36" '
                     f'fill="#e8a33d" fill-opacity="0.25"/>')
    return parts


def _region_bar(region: Area, inside: list[Area], needed: int | None) -> list[str]:
    assert region.size is not None
    span = max(region.size, needed or 0)
    scale = (RIGHT - LEFT) / span
    y = 36
    parts = [_rect(LEFT, y, region.size * scale, 16, "#fbe3bd", _label(region))]
    cursor = 0   # kexec's own data has no fixed place: it goes after the capture kernel
    placed: list[tuple[Area, float]] = []
    for area in sorted(inside, key=lambda a: (a.start is None, a.start or 0)):
        assert area.size is not None
        if area.start is not None and region.start is not None:
            offset = area.start - region.start
            if area.name.startswith("capture kernel"):
                cursor = offset + area.size
        else:
            offset = cursor
            cursor += area.size
        placed.append((area, offset))
    for area, offset in placed:
        assert area.size is not None
        parts.append(_rect(LEFT + offset * scale, y + 2, area.size * scale, 12, _fill(area.name), _label(area),
                           ' stroke="#c0392b" stroke-width="1.5"' if area.problem else ""))
    end = LEFT + region.size * scale
    if needed is not None and needed > region.size:
        parts.append(_rect(end, y, (needed - region.size) * scale, 16, "#e74c3c",
                           f"kexec needs {human_size(needed)}: {human_size(needed - region.size)} "
                           "more than the region holds", ' fill-opacity="0.55"'))
        parts.append(f'<line x1="{end:.1f}" y1="{y - 2}" x2="{end:.1f}" y2="{y + 18}" stroke="#c0392b" '
                     'stroke-width="2"/>')
    where = f" at {region.start:#x}" if region.start is not None else ""
    caption = f"crash region {human_size(region.size)}{where}"
    if needed is not None:
        caption += f"; kexec needs {human_size(needed)}"
    bad = needed is not None and needed > region.size
    parts.append(f'<text x="{LEFT}" y="68" class="{"bad" if bad else "axis"}">{html_text(caption)}</text>')
    return parts
