"""Draw the physical memory map for the text report.

One line per area, sorted by address, areas placed inside the crashkernel
region indented under it, sizes in K/M/G and conflicts marked with ``!!``:

    Physical memory (what the checks reason about)
      0x01000000-0x04f98000   63.6M  system kernel
      0x10000000-0x18000000    128M  crashkernel region
        0x10000000-0x13f98000  63.6M  capture kernel (bzImage init_size)
        0x17c00000-0x18000000     4M  initrd
                   (no place)     1M  kexec data (purgatory, backup, ELF headers)
      !! kexec needs 69632K in a 131072K region
"""

from __future__ import annotations

from typing import Any

from kcheck.domain.units import human_size


def _size(value: int | None) -> str:
    return "?" if value is None else human_size(value)


def _range(start: int | None, end: int | None, inside: bool) -> str:
    if start is None:
        return f"{'(inside the region)' if inside else '(placed at boot)':>37}"
    return f"{start:#018x}-{end:#018x}" if end is not None else f"{start:#018x}{'(size unknown)':>19}"


def draw(memory_map: dict[str, Any], paint: Any) -> list[str]:
    areas = memory_map["areas"]
    outside = [a for a in areas if not a["inside_region"]]
    inside = [a for a in areas if a["inside_region"]]
    outside.sort(key=lambda a: (a["start"] is None, a["start"] or 0))
    inside.sort(key=lambda a: (a["start"] is None, a["start"] or 0))
    lines = [paint("Physical memory (what the checks reason about)", "1")]
    for area in outside:
        lines.append(_line(area, "  ", paint))
        if area["name"] == "crashkernel region":
            lines.extend(_line(inner, "    ", paint) for inner in inside)
    if memory_map.get("needed") is not None:
        lines.append(f"    kexec needs {_size(memory_map['needed'])} of the {_size(memory_map['region_size'])} region")
    lines.extend(paint(f"  !! {conflict}", "31") for conflict in memory_map["conflicts"])
    return lines


def _line(area: dict[str, Any], indent: str, paint: Any) -> str:
    text = (f"{indent}{_range(area['start'], area['end'], area['inside_region'])} "
            f"{_size(area['size']):>7}  {area['name']}")
    if area.get("note"):
        text += f" ({area['note']})"
    if area.get("problem"):
        text = paint(f"{text}  !! {area['problem']}", "31")
    return text
