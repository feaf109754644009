"""How much memory a capture kernel needs to *run*, not only to be loaded.

kexec only has to place the kernel, the initrd and its own data in the crash
region; the capture kernel then has to live there.  Its need, as the
kernel spends it while booting into the dump tool:

* the kernel itself: a bzImage's ``init_size`` (what the decompressor and
  the running kernel occupy) or the vmlinux's ``PT_LOAD`` span with bss;
* ``struct page`` for every page of the memory it is given (per
  architecture: 64 bytes per 4 KiB page on x86_64, 32 on i386), so the need
  grows with the region;
* the initrd twice while it unpacks: the compressed file kexec loaded and
  the files unpacked into the tmpfs, each rounded up to a page;
* a base that covers what the kernel allocates at run time (per-CPU areas,
  slab, page tables, the ELF core headers it reads) and the *working set* of
  what runs in the initrd, which depends on its kind: kcheck's probe
  (busybox and ``makedumpfile --dump-dmesg``), an initramfs-tools initrd that
  mounts the root and continues into its kdump-tools service (systemd,
  makedumpfile -c -d 31 writing to disk), dracut's kdump module.  Each base is
  *fitted* on one rehearsal of its architecture and kind, never guessed: the
  measurements live in ``calibration/capture-memory.toml`` with the kernel,
  initrd and VM each was measured on.

For an initrd of a kind not measured (or not recognised) the error uses the
lightest working set measured, so it is never a false alarm, and the
fragility warning the heaviest.  Pure arithmetic: the constants are passed in.
"""

from __future__ import annotations

from kcheck.domain.records import record

MiB = 1 << 20
PAGE = 4096

#: The kinds of capture initrd whose working set is measured, and what each runs.
KINDS: dict[str, str] = {
    "probe": "kcheck's probe initramfs (busybox + makedumpfile --dump-dmesg)",
    "kdump-tools": "an initramfs-tools initrd that mounts the root and continues into its "
                   "kdump-tools service (systemd + makedumpfile -c -d 31 to disk)",
    "dracut-kdump": "a dracut initrd with kdump-utils' kdumpbase module (makedumpfile in the initrd)",
    "unknown": "a capture initrd kcheck does not recognise",
}


@record
class WorkingSet:
    """One fitted base: the run-time allocations + the working set of one kind on one arch."""

    arch: str
    kind: str
    base: int
    measurement: str        # the rehearsal it was fitted on (its name in the calibration)


@record
class CaptureMemoryModel:
    """Calibrated constants (bytes), read from calibration/capture-memory.toml."""

    working_sets: tuple[WorkingSet, ...]
    struct_pages: tuple[tuple[str, int], ...] = ()  # (arch, sizeof(struct page)) per arch measured
    margin_min: int = 32 * MiB  # a region less than this above the need is fragile
    margin_ratio: float = 0.25

    def struct_page(self, arch: str) -> int | None:
        return dict(self.struct_pages).get(arch)

    def measured(self, arch: str) -> tuple[WorkingSet, ...]:
        return tuple(ws for ws in self.working_sets if ws.arch == arch)


class NotMeasured(Exception):
    """No working set (or struct page size) is measured for the architecture; ``args[0]`` says so."""


@record
class Choice:
    """The working sets behind the error (``needed``) and the warning (``comfortable``), and why."""

    needed: WorkingSet
    comfortable: WorkingSet
    why: str


@record
class RunNeed:
    """The smallest region the capture kernel can run in, its terms, and the warning's size."""

    minimum: int
    kernel: int
    initrd_file: int
    initrd_unpacked: int
    struct_pages: int
    base: int
    comfortable: int = 0        # the minimum with the warning's working set + the margin, to 16M
    working_set: str = ""       # which working set was used, and why

    def describe(self) -> str:
        def mib(value: int) -> str:
            return f"{value / MiB:.1f}M"
        # short: a finding shows a value of up to 200 characters whole (kcheck.domain.text);
        # which working set the base is, and why, is ``working_set``, a value of its own
        return (f"kernel {mib(self.kernel)} + initrd {mib(self.initrd_file)} compressed and "
                f"{mib(self.initrd_unpacked)} unpacked + struct pages {mib(self.struct_pages)} + "
                f"run-time base {mib(self.base)} (measured)")


def _page_align(value: int) -> int:
    return (value + PAGE - 1) // PAGE * PAGE


def fit_base(*, captured: int, struct_page: int, kernel: int, initrd_file: int, initrd_unpacked: int) -> int:
    """The base that makes the static minimum of a rehearsed set-up its smallest captured size.

    base = captured * (1 - struct_page / 4096) - kernel - initrd file - initrd unpacked, so
    :func:`need_with` gives back exactly ``captured`` (a whole number of MiB) for it.
    """
    return (captured - captured * struct_page // PAGE - _page_align(kernel) - _page_align(initrd_file)
            - initrd_unpacked)


def choose(model: CaptureMemoryModel, arch: str, kind: str, kind_why: str = "") -> Choice:
    """The working sets for a capture initrd of ``kind`` on ``arch`` (see the module docstring);
    ``kind_why`` says how the kind was told, for the finding's text."""
    here = model.measured(arch)
    if not here or model.struct_page(arch) is None:
        raise NotMeasured(f"no capture-memory rehearsal of {arch} in the calibration "
                          "(calibration/capture-memory.toml)")
    told = f" ({kind_why})" if kind_why else ""
    for ws in here:
        if ws.kind == kind:
            return Choice(ws, ws, f"working set {kind}{told}, measured on {arch}")
    lightest = min(here, key=lambda ws: ws.base)
    # For the warning, the heaviest this arch has measured, or the kind's on another arch if heavier.
    candidates = list(here) + [ws for ws in model.working_sets if ws.kind == kind]
    heaviest = max(candidates, key=lambda ws: ws.base)
    what = "" if kind == "unknown" else f" not measured on {arch}"
    other = f" on {heaviest.arch}" if heaviest.arch != arch else ""
    return Choice(lightest, heaviest,
                  f"working set {kind}{told}{what}: the error counts the lightest measured "
                  f"({lightest.kind}), the margin the heaviest ({heaviest.kind}{other})")


def need_with(base: int, struct_page: int, *, kernel: int, initrd_file: int, initrd_unpacked: int) -> int:
    """Solve R = fixed + R * struct_page / PAGE for the region size R, rounded up to 1M."""
    fixed = _page_align(kernel) + _page_align(initrd_file) + initrd_unpacked + base
    region = -(-fixed * PAGE // (PAGE - struct_page))
    return -(-region // MiB) * MiB


def run_need(model: CaptureMemoryModel, *, arch: str, kind: str, kernel: int, initrd_file: int,
             initrd_unpacked: int, kind_why: str = "") -> RunNeed:
    """The run-time need of a capture kernel on ``arch`` with an initrd of ``kind`` (NotMeasured)."""
    choice = choose(model, arch, kind, kind_why)
    struct_page = model.struct_page(arch) or 0
    sizes = {"kernel": kernel, "initrd_file": initrd_file, "initrd_unpacked": initrd_unpacked}
    minimum = need_with(choice.needed.base, struct_page, **sizes)
    warned = need_with(choice.comfortable.base, struct_page, **sizes)
    return RunNeed(minimum, _page_align(kernel), _page_align(initrd_file), initrd_unpacked,
                   minimum * struct_page // PAGE, choice.needed.base,
                   comfortable=comfortable_size(model, warned), working_set=choice.why)


def comfortable_size(model: CaptureMemoryModel, minimum: int) -> int:
    """``minimum`` plus max(margin_min, margin_ratio of it), rounded up to 16M."""
    padded = minimum + max(model.margin_min, int(minimum * model.margin_ratio))
    step = 16 * MiB
    return -(-padded // step) * step
