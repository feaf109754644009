"""The physical memory map of a live host, as ``kcheck preflight`` reads it.

``kcheck check`` places regions from the command line (:mod:`kcheck.facts.memory_map`);
a running host says where they are: ``/proc/iomem`` lists its System RAM, the
kernel's own code and data, and each "Crash kernel" region the kernel
reserved.  Inside the region kexec loads into (the last one), the capture
kernel goes at the bottom (its ``init_size`` or ELF segments, as KH007
counts it), the initrd at the top, and about 1 MiB of purgatory and headers
beside them, as kexec-tools lays them out on x86.
"""

from __future__ import annotations

from kcheck.domain.memory import KEXEC_OVERHEAD, load_size, page_align
from kcheck.domain.units import human_size
from kcheck.facts.memory_map import Area, MemoryMap
from kcheck.inputs.host import HostFacts

_KERNEL_PARTS = ("Kernel code", "Kernel rodata", "Kernel data", "Kernel bss")


def host_memory_map(host: HostFacts) -> MemoryMap | None:
    """The map of ``host``; None when /proc/iomem is missing or shows no addresses."""
    iomem = host.iomem
    if iomem is None or not host.iomem_readable:
        return None
    areas = [Area("System RAM", r.start, r.size) for r in iomem.resources
             if r.name == "System RAM" and r.depth == 0]
    kernel = [r for r in iomem.resources if r.name in _KERNEL_PARTS]
    if kernel:
        start, end = min(r.start for r in kernel), max(r.end for r in kernel) + 1
        areas.append(Area("system kernel", start, end - start, note="code, data and bss from /proc/iomem"))
    regions = host.crash_regions
    conflicts: list[str] = []
    if not regions:
        if "crashkernel=" in host.cmdline:
            conflicts.append("no crash kernel region: the reservation failed")
        return MemoryMap(tuple(areas), None, None, tuple(conflicts))
    for region in regions[:-1]:
        areas.append(Area("crash kernel region (low)", region.start, region.size))
    main = regions[-1]
    areas.append(Area("crashkernel region", main.start, main.size, note="reserved at boot"))
    needed = None
    if host.image is not None:
        kernel_size = page_align(host.image.size)
        initrd = host.initrd_size
        problem = None if kernel_size <= main.size else "larger than the region"
        areas.append(Area(f"capture kernel ({host.image.how})", main.start, kernel_size,
                          inside_region=True, problem=problem))
        if initrd:
            initrd_start = main.end + 1 - page_align(initrd)
            clash = ("overlaps the capture kernel: the region is too small"
                     if initrd_start < main.start + kernel_size else None)
            areas.append(Area("initrd", max(initrd_start, main.start), min(page_align(initrd), main.size),
                              inside_region=True, note="kexec puts it at the top of the region",
                              problem=clash))
        needed = load_size(kernel_size, initrd or 0)  # the one memory model (domain/memory.py)
    areas.append(Area("kexec data (purgatory, backup, ELF headers)", None, KEXEC_OVERHEAD, inside_region=True))
    for area in areas:
        if area.problem:
            conflicts.append(f"{area.name}: {area.problem}")
    if needed is not None and needed > main.size:
        conflicts.append(f"kexec needs {human_size(needed)} in a {human_size(main.size)} region")
    return MemoryMap(tuple(areas), needed, main.size, tuple(conflicts))
