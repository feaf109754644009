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


#: A kernel reserves at most two "Crash kernel" regions: crashkernel=X (or
#: X,high) and its low part (crashkernel=Y,low or the automatic one).
MAX_CRASH_REGIONS = 2
_ADDRESS_DIGITS = 16  # r_show() prints at most 64-bit addresses


@record
class Iomem:
    resources: tuple[Resource, ...]
    skipped: tuple[int, ...]  # 1-based numbers of lines that are not resources
    crash_regions: tuple[Resource, ...] = ()  # every "Crash kernel" region, in the order listed (low first)
    crash_problem: str | None = None  # why the regions cannot be those of a running kernel

    @property
    def zeroed(self) -> bool:
        """True when every address reads as zero: read without CAP_SYS_ADMIN."""
        return bool(self.resources) and all(r.start == 0 and r.end == 0 for r in self.resources)

    @property
    def system_ram(self) -> int:
        """Total "System RAM", summed as kdump-utils' get_system_size() does."""
        return sum(r.size for r in self.resources if r.name == SYSTEM_RAM)

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
        if len(match["start"]) > _ADDRESS_DIGITS or len(match["end"]) > _ADDRESS_DIGITS:
            skipped.append(number)  # wider than 64 bits: no kernel prints that
            continue
        start, end = int(match["start"], 16), int(match["end"], 16)
        if end < start:
            skipped.append(number)
            continue
        resources.append(Resource(start, end, match["name"], len(match["indent"]) // 2))
    crash = tuple(r for r in resources if r.name == CRASH_KERNEL)
    return Iomem(tuple(resources), tuple(skipped), crash, _crash_problem(crash))


def _crash_problem(regions: tuple[Resource, ...]) -> str | None:
    """What makes the "Crash kernel" regions impossible for a running kernel, or None.

    Then no region can be trusted: the checks that need one are not judged
    (never a silent "WILL capture" on a forged or corrupt listing).
    """
    if len(regions) > MAX_CRASH_REGIONS:
        return (f"{len(regions)} 'Crash kernel' regions; a kernel reserves at most {MAX_CRASH_REGIONS} "
                "(crashkernel= and its low part)")
    ordered = sorted(regions, key=lambda r: r.start)
    for before, after in zip(ordered, ordered[1:]):
        if after.start <= before.end:
            return (f"'Crash kernel' regions {before.start:#x}-{before.end:#x} and {after.start:#x}-{after.end:#x} "
                    "overlap; a kernel never reserves overlapping regions")
    return None
