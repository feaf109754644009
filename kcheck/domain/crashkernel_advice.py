"""How much memory kcheck advises crashkernel= to reserve on a current kernel.

Every rule that writes a ``crashkernel=<size>`` (KB001, KB002, KB007, KI010)
takes its size from here, through the fact ``boot.crashkernel.advised``, so
``kcheck check`` advises and ``kcheck fix`` writes one size, and no fix trips
another rule: the size is at least KB007's floor and at least what kexec needs
to load the capture kernel and initrd (KI010).
"""

from __future__ import annotations

MiB = 1 << 20

#: Without images: Fedora/RHEL's default for 4G-64G machines (kdump-utils kdump-lib.sh),
#: twice Debian's 128M, and above KB007's 128M floor for 64-bit kernels.
DEFAULT_SIZE = 256 * MiB
#: The smallest region kcheck keeps as it is: KB007's floor for a 64-bit capture kernel
#: (tests/unit/engine/test_rule_language.py checks that KB007 says the same).
MIN_SIZE = 128 * MiB
#: Sizes are rounded up to 16M: a multiple of every architecture's crashkernel alignment
#: (x86 16M from 6.7, arm64 and riscv 2M, ppc64 a page).
GRANULE = 16 * MiB


def advised_size(load_needed: int | None, current: int | None = None) -> int:
    """The size a fix writes into crashkernel=.

    The ``current`` size when it is big enough (at least :data:`MIN_SIZE` and
    what kexec needs), so a fix that only moves the region (KB004, KB005)
    keeps it; otherwise the larger of :data:`DEFAULT_SIZE` and
    ``load_needed`` (bytes kexec needs in the region) rounded up to :data:`GRANULE`.
    """
    need = load_needed or 0
    if current is not None and current >= MIN_SIZE and current >= need:
        return current
    if need <= DEFAULT_SIZE:
        return DEFAULT_SIZE
    return (need + GRANULE - 1) // GRANULE * GRANULE
