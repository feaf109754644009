"""Run one rehearsal: build the initramfs images, boot QEMU, follow the console.

Everything lives in one temporary directory that is removed however the
rehearsal ends; QEMU is always killed (see :mod:`kcheck.rehearse.qemu`).
Inputs are only read: the kernel and initrd files are copied into the
arming initramfs, never opened for writing.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable

from kcheck.domain.errors import InputError
from kcheck.domain.records import field, record
from kcheck.rehearse import initramfs, qemu
from kcheck.rehearse.hosttools import MACHINES, HostTool, collect, elf_machine, find_program
from kcheck.rehearse.plan import Plan, success_regex
from kcheck.rehearse.stages import STAGES, Console
from kcheck.rehearse.verdict import Outcome, judge

#: what the progress lines say when a marker is first seen
_PROGRESS = {
    "system-booted": "system kernel booted, arming initramfs running",
    "crash-loaded": "kexec done: kexec_crash_loaded = {}",
    "panic": "panicking the system kernel (sysrq c)",
    "capture-booted": "capture kernel booted",
    "vmcore-present": "/proc/vmcore present ({} bytes)",
    "dmesg-readable": "makedumpfile --dump-dmesg: panic message found: {}",
    "user-success": "success marker seen",
}


@record
class Tools:
    """The host programs a rehearsal needs, found once per command."""

    qemu: str
    accel: str
    busybox: str
    kexec: HostTool
    makedumpfile: HostTool | None


@record
class Images:
    """Built initramfs images (paths in a scratch directory) for one set-up."""

    arming: str
    capture_initrd: str
    token: str
    built_seconds: float = field(default=0.0, compare=False)


def find_tools(arch: str, qemu_path: str | None, accel: str, guest_root: str | None = None,
               memory_mb: int = 0) -> Tools:
    """QEMU for ``arch`` and the programs the VM runs: the host's, or those of ``guest_root``."""
    binary = qemu.find_qemu(arch, qemu_path, memory_mb)
    where = f" in {guest_root}" if guest_root else ""
    hint = (f" (.ci/fetch-rehearse-parts {arch} unpacks Debian's {arch} packages)" if guest_root else "")
    busybox = find_program("busybox", root=guest_root)
    if busybox is None:
        raise InputError(guest_root or "busybox", f"busybox not found{where} (Debian: busybox-static){hint}")
    if collect("busybox", busybox, guest_root).files:
        raise InputError(busybox, "busybox is dynamically linked; the VM needs a static one "
                         "(Debian: apt-get install busybox-static)")
    kexec = find_program("kexec", root=guest_root)
    if kexec is None:
        raise InputError(guest_root or "kexec", f"kexec not found{where} (Debian: kexec-tools){hint}")
    makedumpfile = find_program("makedumpfile", root=guest_root)
    for program in filter(None, (busybox, kexec, makedumpfile)):
        machine = elf_machine(program)
        if machine != MACHINES.get(arch, machine):
            advice = ("give --guest-root with the VM's own programs (.ci/fetch-rehearse-parts "
                      f"{arch} unpacks Debian's)" if guest_root is None else "the guest root is for another architecture")
            raise InputError(program, f"is built for {machine}, which an {arch} VM cannot run: {advice}")
    if accel == "auto":
        accel = "kvm" if qemu.kvm_works(binary) else "tcg"
    return Tools(binary, accel, busybox, collect("kexec", kexec, guest_root),
                 collect("makedumpfile", makedumpfile, guest_root) if makedumpfile else None)


def build_images(plan: Plan, tools: Tools, scratch: str) -> Images:
    """The arming initramfs (with the capture kernel and initrd inside) and the capture initrd."""
    start = time.monotonic()
    token = secrets.token_hex(6)
    capture = os.path.join(scratch, "capture-initrd.img")
    if plan.capture_initrd is None or plan.overlay_probe:
        with open(capture, "wb") as out:
            if plan.capture_initrd is not None:     # the user's archives first, the probe's /init last
                with open(plan.capture_initrd, "rb") as source:
                    shutil.copyfileobj(source, out, 1 << 20)
            initramfs.write_probe(out, token=token, busybox=tools.busybox, makedumpfile=tools.makedumpfile)
    else:
        capture = plan.capture_initrd
    arming = os.path.join(scratch, "arming.cpio")
    payload = [(plan.capture_image_path, plan.capture_image), (plan.initrd_path, capture)]
    with open(arming, "wb") as out:
        initramfs.write_arming(out, token=token, busybox=tools.busybox, kexec=tools.kexec,
                               argv=list(plan.kexec_argv), payload=payload)
    return Images(arming, capture, token, time.monotonic() - start)


def qemu_args(plan: Plan, tools: Tools, images: Images, boot_cmdline: str) -> list[str]:
    args = ["-accel", tools.accel, *qemu.machine_args(plan.arch, tools.accel), "-m", str(plan.memory_mb),
            "-smp", str(plan.cpus), "-kernel", plan.system_image, "-initrd", images.arming,
            "-append", boot_cmdline]
    return args


def rehearse_once(plan: Plan, tools: Tools, images: Images, boot_cmdline: str | None = None,
                  progress: Callable[[str], None] | None = None,
                  console_log: list[str] | None = None) -> Outcome:
    """Boot, arm, panic and follow one rehearsal to its end."""
    line = boot_cmdline or plan.boot_cmdline
    console = Console(images.token, success_regex(plan.success_pattern))
    start = time.monotonic()
    timeline: dict[str, float] = {}

    def on_line(text: str) -> bool:
        if console_log is not None and len(console_log) < 20000:
            console_log.append(text)
        before = set(console.events)
        done = console.feed(text)
        for event in console.events.keys() - before:
            timeline[event] = round(time.monotonic() - start, 2)
            if progress is not None and event in _PROGRESS:
                progress(_PROGRESS[event].format(console.events[event]))
        return done

    if progress is not None:
        progress(f"booting the system kernel ({tools.accel.upper()}, {plan.memory_mb}M, "
                 f"{plan.cpus} CPU{'s' if plan.cpus > 1 else ''})")
    run = qemu.run(tools.qemu, qemu_args(plan, tools, images, line), plan.timeout, on_line)
    if run.ended == "exited" and run.returncode not in (0, None) and console.lines == 0:
        raise InputError(tools.qemu, f"QEMU failed (exit {run.returncode}): {run.stderr.strip()[-300:]}")
    return judge(console, run, boot_cmdline=line, makedumpfile=tools.makedumpfile is not None,
                 timeline=timeline)


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="kcheck-rehearse-")


__all__ = ["STAGES", "Images", "Tools", "build_images", "find_tools", "rehearse_once", "scratch_dir"]
