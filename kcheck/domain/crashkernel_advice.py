"""How much memory kcheck advises crashkernel= to reserve on a current kernel.

Every rule that writes a ``crashkernel=<size>`` (KB001, KB002, KB007, KB011, KB012, KI010)
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
#: i386: the region lies between 16M and 512M, where KASLR also puts the kernel; above half
#: of that window (248M) some boots find no room (KB012), and above 496M none does (KB011).
#: 192M keeps clear of both, above Debian's 128M default and 4x the rehearsed need of the
#: probe on Debian's 686 kernel (44M, calibration/capture-memory.toml).
I386_DEFAULT_SIZE = 192 * MiB
I386_MAX_SIZE = 240 * MiB
#: Sizes are rounded up to 16M: a multiple of every architecture's crashkernel alignment
#: (x86 16M from 6.7, arm64 and riscv 2M, ppc64 a page).
GRANULE = 16 * MiB


def advised_size(load_needed: int | None, current: int | None = None, arch: str | None = None) -> int:
    """The size a fix writes into crashkernel=.

    The ``current`` size when it is big enough (at least :data:`MIN_SIZE` and
    what kexec needs), so a fix that only moves the region (KB004, KB005)
    keeps it; otherwise the larger of :data:`DEFAULT_SIZE` and
    ``load_needed`` (bytes kexec needs in the region) rounded up to :data:`GRANULE`.
    On i386 the default is :data:`I386_DEFAULT_SIZE` and a current size above
    :data:`I386_MAX_SIZE` is not kept (KB011, KB012).
    """
    need = load_needed or 0
    default, cap = (I386_DEFAULT_SIZE, I386_MAX_SIZE) if arch == "i386" else (DEFAULT_SIZE, None)
    if current is not None and current >= MIN_SIZE and current >= need and (cap is None or current <= cap):
        return current
    if need <= default:
        return default
    return (need + GRANULE - 1) // GRANULE * GRANULE
