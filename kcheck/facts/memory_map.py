"""The physical memory map the checks reason about.

Where the system kernel sits, the crashkernel region, and where kexec will
put the capture kernel, its initrd and its own data inside the region, as
kexec-tools places them on x86 (kexec-bzImage.c / kexec-elf-x86.c): a
relocatable bzImage at ALIGN_UP(max(region start, 1M), kernel_alignment), a
vmlinux at its PT_LOAD physical addresses, the initrd at the top of the
region, and about 1 MiB for purgatory, the 640K backup, the ELF core headers
and boot parameters.  Reporters draw it; rules read its totals.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from kcheck.domain.memory import KEXEC_OVERHEAD, MiB, load_size, page_align
from kcheck.facts.image import footprint, load_range, relocatable
from kcheck.domain.records import field, record
from kcheck.domain.units import human_size

if TYPE_CHECKING:
    from kcheck.facts.setup import Setup



@record
class Area:
    """One range on the map; ``end`` is exclusive; ``problem`` marks a conflict."""

    name: str
    start: int | None
    size: int | None
    inside_region: bool = False
    problem: str | None = None
    note: str | None = None

    @property
    def end(self) -> int | None:
        return None if self.start is None or self.size is None else self.start + self.size

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "start": self.start, "end": self.end, "size": self.size,
                "inside_region": self.inside_region, "problem": self.problem, "note": self.note}


@record
class MemoryMap:
    areas: tuple[Area, ...]
    needed: int | None = None          # bytes kexec needs inside the region
    region_size: int | None = None
    conflicts: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"areas": [a.as_dict() for a in self.areas], "needed": self.needed,
                "region_size": self.region_size, "conflicts": list(self.conflicts)}


def build_map(setup: Setup) -> MemoryMap | None:
    """The map for ``setup``, or None when there is nothing to place (no crashkernel=)."""
    if setup.cmdline is None:
        return None
    crash = setup.crashkernel_facts
    size = crash.get("size")
    if not size:
        return None
    start = crash.get("offset")
    areas: list[Area] = [_system_kernel(setup)]
    conflicts: list[str] = []
    region = Area("crashkernel region", start, size,
                  note=None if start is not None else "placed by the kernel at boot")
    areas.append(region)
    capture_areas, needed = _capture(setup, start, size)
    areas.extend(capture_areas)
    for area in areas:
        if area.problem:
            conflicts.append(f"{area.name}: {area.problem}")
    system = areas[0]
    if _overlaps(system, region):
        kaslr = setup.kaslr
        problem = ("the system kernel's load range overlaps the region"
                   + (" (KASLR: only on some boots)" if kaslr else ""))
        areas[0] = Area(system.name, system.start, system.size, problem=problem, note=system.note)
        conflicts.append(f"{system.name}: {problem}")
    if needed is not None and needed > size:
        conflicts.append(f"kexec needs {human_size(needed)} in a {human_size(size)} region")
    return MemoryMap(tuple(areas), needed, size, tuple(conflicts))


def load_needed(setup: Setup) -> int | None:
    """Bytes kexec needs in the crash region: the map's figure, or with no region yet (no or
    an unusable crashkernel=) what the capture kernel, initrd and kexec's data take anywhere."""
    plan = setup.memory_map
    if plan is not None and plan.needed is not None:
        return plan.needed
    return _capture(setup, None, 0)[1]


def _overlaps(a: Area, b: Area) -> bool:
    if a.start is None or b.start is None or a.end is None or b.end is None:
        return False
    return a.start < b.end and b.start < a.end


def _system_kernel(setup: Setup) -> Area:
    kernel = setup.system
    start = kernel.load_address
    size = footprint(kernel.image) if kernel.image else None
    note = "KASLR: the address changes at every boot" if setup.kaslr else None
    if kernel.image is not None and size is None:
        note = "size unknown"
    return Area("system kernel", start, size, note=note)


def _capture(setup: Setup, region_start: int | None, region_size: int) -> tuple[list[Area], int | None]:
    """Place the capture kernel, initrd and kexec's data; return them and the bytes needed."""
    image = setup.capture.image
    region_end = region_start + region_size if region_start is not None else None
    areas: list[Area] = []
    kernel_bytes: int | None = None
    if image is not None:
        span = load_range(image)
        if span is not None and image.setup_header is None:   # vmlinux: loaded where linked
            kernel_bytes = page_align(span[1] - span[0])
            problem = None
            if region_start is not None and region_end is not None and (
                    span[0] < region_start or span[1] > region_end):
                problem = "outside the crashkernel region (kexec refuses: EADDRNOTAVAIL)"
            areas.append(Area("capture kernel (vmlinux PT_LOAD)", span[0], span[1] - span[0],
                              inside_region=True, problem=problem))
        elif image.setup_header is not None:
            kernel_bytes = footprint(image)
            header = image.setup_header
            start = None
            if region_start is not None and relocatable(image):
                align = header.kernel_alignment or MiB
                base = max(region_start, MiB)
                start = (base + align - 1) // align * align
            note = None if relocatable(image) else "not relocatable: kexec refuses it as a capture kernel"
            areas.append(Area("capture kernel (bzImage init_size)", start, kernel_bytes,
                              inside_region=True, note=note,
                              problem=_past_end(start, kernel_bytes, region_end)))
    initrd_bytes = _initrd_size(setup)
    if initrd_bytes is not None:
        start = region_end - page_align(initrd_bytes) if region_end is not None else None
        kernel_end = areas[0].end if areas else None
        clash = ("overlaps the capture kernel: the region is too small"
                 if start is not None and kernel_end is not None and kernel_end > start else None)
        areas.append(Area("initrd", start, initrd_bytes, inside_region=True,
                          note="kexec puts it at the top of the region", problem=clash))
    areas.append(Area("kexec data (purgatory, backup, ELF headers)", None, KEXEC_OVERHEAD,
                      inside_region=True))
    if kernel_bytes is None:
        return areas, None
    kernel_offset = 0
    if areas and areas[0].start is not None and region_start is not None:
        kernel_offset = max(0, areas[0].start - region_start)
    return areas, kernel_offset + load_size(kernel_bytes, initrd_bytes or 0)  # kernel_bytes is page-aligned


def _past_end(start: int | None, size: int | None, region_end: int | None) -> str | None:
    if start is None or size is None or region_end is None or start + size <= region_end:
        return None
    return "does not fit before the end of the region"


def _initrd_size(setup: Setup) -> int | None:
    """The initrd's file size, when the kexec command names one that exists here."""
    kexec = setup.kexec
    if kexec is None or not kexec.initrd:
        return None
    try:
        return os.stat(kexec.initrd).st_size
    except OSError:
        return None
