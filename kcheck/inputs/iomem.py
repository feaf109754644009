"""Parse ``/proc/iomem``: the RAM size and the crash kernel regions.

The format is ``kernel/resource.c`` r_show(): one resource per line,
``%*s%0*llx-%0*llx : %s``, indented by two spaces per nesting level, child
resources under their parent.  The crash kernel region is a child of
"System RAM" named "Crash kernel"; with ``crashkernel=X,high`` (or an automatic
high placement) there are two, the low one below 4 GiB and the main one
above.  kexec-tools loads into the last one listed (crashdump-x86.c
get_crash_memory_ranges / is_crashkernel_mem_reserved), and
``/sys/kernel/kexec_crash_size`` reports only that one.

Since 4.15 r_show() prints every address as zero to a reader without
CAP_SYS_ADMIN ("/proc/iomem: only expose physical resource addresses to
privileged users"); :attr:`Iomem.zeroed` says so, because then neither the RAM size nor the
regions can be known.
"""

from __future__ import annotations

import re

from kcheck.domain.records import record

_LINE_RE = re.compile(r"^(?P<indent> *)(?P<start>[0-9a-fA-F]+)-(?P<end>[0-9a-fA-F]+) : (?P<name>.*?)\s*$")

CRASH_KERNEL = "Crash kernel"
SYSTEM_RAM = "System RAM"


@record
class Resource:
    """One line of /proc/iomem: ``[start, end]`` inclusive, as the kernel prints it."""

    start: int
    end: int
    name: str
    depth: int

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@record
class Iomem:
    resources: tuple[Resource, ...]
    skipped: tuple[int, ...]  # 1-based numbers of lines that are not resources

    @property
    def zeroed(self) -> bool:
        """True when every address reads as zero: read without CAP_SYS_ADMIN."""
        return bool(self.resources) and all(r.start == 0 and r.end == 0 for r in self.resources)

    @property
    def system_ram(self) -> int:
        """Total "System RAM", summed as kdump-utils' get_system_size() does."""
        return sum(r.size for r in self.resources if r.name == SYSTEM_RAM)

    @property
    def crash_regions(self) -> tuple[Resource, ...]:
        """Every "Crash kernel" region, in the order listed (low first)."""
        return tuple(r for r in self.resources if r.name == CRASH_KERNEL)

    @property
    def crash_main(self) -> Resource | None:
        """The region kexec loads the capture kernel into: the last one listed."""
        regions = self.crash_regions
        return regions[-1] if regions else None


def parse_iomem(text: str) -> Iomem:
    """Read the resources of an iomem listing; lines that do not parse are counted, not fatal."""
    resources: list[Resource] = []
    skipped: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE_RE.match(line)
        if match is None:
            skipped.append(number)
            continue
        start, end = int(match["start"], 16), int(match["end"], 16)
        if end < start:
            skipped.append(number)
            continue
        resources.append(Resource(start, end, match["name"], len(match["indent"]) // 2))
    return Iomem(tuple(resources), tuple(skipped))
