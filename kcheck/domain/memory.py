"""The capture kernel's memory, one model for ``kcheck check`` and ``kcheck preflight``.

What kexec needs inside the crash region to *load* the capture kernel (what
it then needs to *run* is kcheck.domain.capture_memory, calibrated by
rehearsals).  The memory map
(:mod:`kcheck.facts.memory_map`, from the images) and the pre-flight's host
facts (:mod:`kcheck.inputs.host`, from a live host's files) both count with
these numbers, so the two commands cannot disagree about them.
"""

from __future__ import annotations

from collections.abc import Iterable

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

#: The page kexec-tools aligns segments to: 4K on x86 and by default on arm64,
#: riscv and ppc64; ppc64 kernels built with PPC_64K_PAGES use 64K pages.
PAGE_SIZE = 4 * KiB
PPC_64K_PAGE_SIZE = 64 * KiB

#: Room kexec needs in the region beside the kernel and initrd: purgatory,
#: the ELF core headers (at least 16K), boot parameters and, with older
#: kexec-tools on x86, a copy of the first 640K (catalogue C.x86.fit).
KEXEC_OVERHEAD = 1 * MiB

#: kdump-utils' ratio of an initrd's unpacked size to its file; kcheck uses it
#: only when it cannot read the initrd's own archives.  What the capture kernel
#: needs to *run* is the rehearsal-calibrated model, kcheck.domain.capture_memory.
INITRD_FACTOR = 3


def page_align(value: int, page: int = PAGE_SIZE) -> int:
    """``value`` rounded up to a whole page."""
    return (value + page - 1) // page * page


def load_size(kernel: int, initrd: int) -> int:
    """Bytes kexec needs in the region for a kernel and an initrd of these sizes (and its own data)."""
    return page_align(kernel) + page_align(initrd) + KEXEC_OVERHEAD



def kernel_footprint(init_size: int | None, load_segments: Iterable[tuple[int, int]]) -> int | None:
    """Memory a kernel occupies where kexec loads it, page-aligned (None: not known from the image).

    A bzImage of boot protocol 2.10+ says it (``init_size``: from its load
    address until it has decompressed and set itself up, which kexec-tools
    reserves, kexec-bzImage64.c); a vmlinux occupies the span of its PT_LOAD
    segments, given as ``(p_paddr, p_memsz)``.  ``kcheck check`` (from the
    image reader) and ``kcheck preflight`` (from a host's image headers) both
    count with this.
    """
    if init_size:
        return page_align(init_size)
    segments = list(load_segments)
    if not segments:
        return None
    start = min(paddr for paddr, _ in segments)
    end = max(paddr + memsz for paddr, memsz in segments)
    return page_align(end - start)
