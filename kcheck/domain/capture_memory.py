"""How much memory a capture kernel needs to *run*, not only to be loaded.

kexec only has to place the kernel, the initrd and its own data in the crash
region; the capture kernel then has to live there.  Its need, as the
kernel spends it while booting into the dump tool:

* the kernel itself: a bzImage's ``init_size`` (what the decompressor and
  the running kernel occupy) or the vmlinux's ``PT_LOAD`` span with bss;
* ``struct page`` for every page of the memory it is given (64 bytes per
  4 KiB page on 64-bit, 32 on 32-bit), so the need grows with the region;
* the initrd twice while it unpacks: the compressed file kexec loaded and
  the files unpacked into the tmpfs, each rounded up to a page;
* a base that covers what the kernel allocates at run time (per-CPU areas,
  slab, page tables, the ELF core headers it reads) and the working set of
  what runs in the initrd (for kcheck's probe: busybox and
  ``makedumpfile --dump-dmesg``).  The base is *measured* by rehearsals,
  never guessed: the constants live in ``calibration/capture-memory.toml``
  with the kernel, initrd and VM each was measured on.

Pure arithmetic: the constants are passed in.
"""

from __future__ import annotations

from kcheck.domain.records import record

MiB = 1 << 20
PAGE = 4096


@record
class CaptureMemoryModel:
    """Calibrated constants (bytes), read from calibration/capture-memory.toml."""

    base: int                  # kernel run-time allocations + the initrd's working set
    struct_page: int = 64      # bytes of struct page per 4 KiB page given to the capture kernel
    margin_min: int = 32 * MiB  # a region less than this above the need is fragile
    margin_ratio: float = 0.25


@record
class RunNeed:
    """The smallest region the capture kernel can run in, and its terms."""

    minimum: int
    kernel: int
    initrd_file: int
    initrd_unpacked: int
    struct_pages: int
    base: int

    def describe(self) -> str:
        def mib(value: int) -> str:
            return f"{value / MiB:.1f}M"
        return (f"kernel {mib(self.kernel)} + initrd {mib(self.initrd_file)} compressed and "
                f"{mib(self.initrd_unpacked)} unpacked + struct pages {mib(self.struct_pages)} + "
                f"run-time base {mib(self.base)} (measured)")


def _page_align(value: int) -> int:
    return (value + PAGE - 1) // PAGE * PAGE


def run_need(model: CaptureMemoryModel, *, kernel: int, initrd_file: int, initrd_unpacked: int) -> RunNeed:
    """Solve R = fixed + R * struct_page / PAGE for the region size R, rounded up to 1M."""
    fixed = _page_align(kernel) + _page_align(initrd_file) + initrd_unpacked + model.base
    region = fixed * PAGE / (PAGE - model.struct_page)
    minimum = -(-int(region) // MiB) * MiB
    return RunNeed(minimum, _page_align(kernel), _page_align(initrd_file), initrd_unpacked,
                   minimum * model.struct_page // PAGE, model.base)


def comfortable_size(model: CaptureMemoryModel, need: RunNeed) -> int:
    """``need.minimum`` plus max(margin_min, margin_ratio of it), rounded up to 16M."""
    padded = need.minimum + max(model.margin_min, int(need.minimum * model.margin_ratio))
    step = 16 * MiB
    return -(-padded // step) * step
