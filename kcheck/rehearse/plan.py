"""From a set-up to what one rehearsal runs: the VM, the boot line, the kexec argv, the files.

The set-up's own kexec command is run as given, with only what the VM needs
to be observed added, and every addition is listed in the report:
``console=ttyS0`` (``ttyAMA0`` on arm64, the virt machine's PL011) on each
command line that lacks it (the serial console is the only way out of the VM), and ``--initrd`` when the command loads no
initrd (the VM has no disk, so the probe initrd stands in for the root file
system).  The capture kernel and initrd are copied into the arming initramfs
at the paths the command names.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex

from kcheck.domain.errors import InputError
from kcheck.domain.cmdline import add_param, parse_cmdline, remove_params, set_param
from kcheck.domain.records import field, record
from kcheck.domain.kexec import parse_kexec

PROBE_INITRD_PATH = "/kcheck/capture-initrd.img"
CONSOLE = "ttyS0"
#: the serial console of each rehearsed architecture's VM (x86: 8250 COM1; arm64 virt: PL011)
CONSOLE_FOR_ARCH = {"x86_64": "ttyS0", "i386": "ttyS0", "arm64": "ttyAMA0"}


@record
class Plan:
    """One rehearsal, fully decided: what QEMU boots and what the arming /init runs."""

    system_image: str
    boot_cmdline: str
    kexec_argv: tuple[str, ...]
    capture_image: str
    capture_image_path: str          # where the kexec command names it
    initrd_path: str                 # where the capture initrd goes in the arming initramfs
    capture_initrd: str | None       # the user's file; None: kcheck's probe
    overlay_probe: bool
    success_pattern: str | None
    memory_mb: int
    cpus: int
    timeout: float
    additions: tuple[str, ...] = field(default=())
    arch: str = "x86_64"
    console: str = CONSOLE


def _has_console(text: str, console: str) -> bool:
    line = parse_cmdline(text)
    return any((p.value or "").split(",")[0] == console for p in line.all("console"))


def boot_line(text: str | None, crashkernel: str | None = None,
              console: str = CONSOLE) -> tuple[str, list[str]]:
    """The system kernel's boot line as the VM runs it, and what was added."""
    line = text or ""
    added: list[str] = []
    if crashkernel is not None:
        line = set_param(remove_params(line, "crashkernel"), "crashkernel", crashkernel)
        added.append(f"boot line: crashkernel={crashkernel} (the size being tried)")
    if not _has_console(line, console):
        line = add_param(line, "console", console)
        added.append(f"boot line: console={console}")
    if parse_cmdline(line).has("rdinit"):
        line = set_param(line, "rdinit", "/init")
        added.append("boot line: rdinit=/init (the arming initramfs)")
    return line, added


def _inside(path: str, option: str) -> str:
    """``path`` as a file in the arming initramfs (its /init runs in /)."""
    joined = posixpath.normpath(posixpath.join("/", path))
    if ".." in path.split("/") or joined in ("/", "/init") or joined.startswith(("/proc/", "/sys/", "/dev/")):
        raise InputError(option, f"{path}: cannot be placed in the rehearsal VM")
    return joined


def kexec_argv(text: str, system_line: str, source: str,
               console: str = CONSOLE) -> tuple[list[str], str, str, list[str]]:
    """The kexec command's words with kcheck's additions, its kernel path, initrd path, additions."""
    command = parse_kexec(text, source=source)
    if command.unknown:
        pass  # kexec itself refuses them, and the rehearsal shows its words
    if command.kernel_path is None and command.action in ("load", "load-panic"):
        raise InputError(source, "the kexec command names no kernel to load")
    words = shlex.split(text)
    while words and os.path.basename(words[0]) != "kexec":
        words.pop(0)            # sudo, env, VAR=value: the VM runs kexec itself
    words[0] = "kexec"
    added: list[str] = []
    append = None
    for name, value in command.options:
        if name == "append":
            append = value or ""
    effective = append or ""
    if command.has("reuse-cmdline"):
        effective = f"{system_line} {effective}"
    extra: list[str] = []
    if not _has_console(effective, console):
        new = add_param(append or "", "console", console)
        extra.append(f"--append={new}")
        added.append(f"capture command line: console={console}")
    initrd = command.initrd
    if initrd is None and command.action == "load-panic":
        extra.append(f"--initrd={PROBE_INITRD_PATH}")
        initrd = PROBE_INITRD_PATH
        added.append(f"kexec: --initrd={PROBE_INITRD_PATH} (the VM has no disk for the capture kernel's root)")
    if extra:
        at = words.index("--") if "--" in words else len(words)
        words[at:at] = extra
    kernel = _inside(command.kernel_path or "/boot/vmlinuz", source)
    return words, kernel, _inside(initrd or PROBE_INITRD_PATH, source), added


def success_regex(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InputError("--success-pattern", f"not a regular expression: {exc}") from None
