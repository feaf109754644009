"""The capture kernel's memory, one model for ``kcheck check`` and ``kcheck preflight``.

What kexec needs inside the crash region to *load* the capture kernel, and
what the capture kernel then needs to *run*.  The memory map
(:mod:`kcheck.facts.memory_map`, from the images) and the pre-flight's host
facts (:mod:`kcheck.inputs.host`, from a live host's files) both count with
these numbers, so the two commands cannot disagree about them.
"""

from __future__ import annotations

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

#: kdump-utils' estimate adds 16M to the kernel and 3x the initrd (it unpacks
#: into memory and runs); its module and LUKS terms are not counted here.
RUN_BASE = 16 * MiB
INITRD_FACTOR = 3


def page_align(value: int, page: int = PAGE_SIZE) -> int:
    """``value`` rounded up to a whole page."""
    return (value + page - 1) // page * page


def load_size(kernel: int, initrd: int) -> int:
    """Bytes kexec needs in the region for a kernel and an initrd of these sizes (and its own data)."""
    return page_align(kernel) + page_align(initrd) + KEXEC_OVERHEAD


def run_size(kernel: int, initrd: int) -> int:
    """Bytes the capture kernel needs to run: the kernel, the unpacked initrd, and a base."""
    return kernel + INITRD_FACTOR * initrd + RUN_BASE
