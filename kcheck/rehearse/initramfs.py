"""The two initramfs images a rehearsal boots: the arming one and the probe.

The *arming* initramfs is the system kernel's: busybox, kexec-tools and the
files the set-up's kexec command names, placed at the paths it names; its
``/init`` runs that command as given, reports ``kexec_crash_loaded`` and
panics the kernel.  The *probe* is the default capture initrd: busybox (and
makedumpfile when installed); its ``/init`` looks at ``/proc/vmcore``, checks
the ELF magic and the VMCOREINFO note, reads the panic message back out of
the dump with ``makedumpfile --dump-dmesg`` and powers off.  Both print
``@@kcheck:<token>:<event>`` lines on the serial console, which
:mod:`kcheck.rehearse.stages` reads.
"""

from __future__ import annotations

import gzip
import shlex
from typing import BinaryIO

from kcheck.domain.errors import InputError
from kcheck.rehearse.cpio import CpioWriter
from kcheck.rehearse.hosttools import HostTool

#: busybox applets the scripts use (static busybox provides them all)
APPLETS = ("sh", "mount", "mkdir", "cat", "echo", "grep", "head", "dd", "od", "tr", "wc",
           "ls", "sleep", "poweroff", "reboot", "stat", "cut", "tail", "free", "sync", "uname")
#: what the probe reads back from the dump to prove it is usable
PANIC_WORDS = "sysrq: Trigger a crash"

_COMMON = """\
export PATH=/bin:/sbin:/usr/bin:/usr/sbin LD_LIBRARY_PATH=/lib
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
say() { echo "@@kcheck:{token}:$*"; }
"""

_ARM = """\
#!/bin/sh
{common}
say system-booted
say crash-size $(cat /sys/kernel/kexec_crash_size 2>/dev/null || echo none)
say kexec-start
{kexec} 2>&1
say kexec-status $?
say crash-loaded $(cat /sys/kernel/kexec_crash_loaded 2>/dev/null || echo none)
echo 1 > /proc/sys/kernel/sysrq
say panic
echo c > /proc/sysrq-trigger
say panic-returned
poweroff -f
"""

_PROBE = """\
#!/bin/sh
{common}
say capture-booted
say memory $(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)
if [ ! -e /proc/vmcore ]; then say no-vmcore; poweroff -f; fi
say vmcore-present $(stat -c %s /proc/vmcore)
dd if=/proc/vmcore of=/tmp/head bs=4096 count=64 2>/dev/null
say vmcore-magic $(head -c 5 /tmp/head | od -An -tx1 | tr -d ' ')
if grep -q VMCOREINFO /tmp/head; then say vmcoreinfo yes; else say vmcoreinfo no; fi
if [ -x /bin/makedumpfile ]; then
  makedumpfile --dump-dmesg /proc/vmcore /tmp/dmesg > /tmp/mdf.log 2>&1
  say makedumpfile-status $?
  tail -n 3 /tmp/mdf.log
  if grep -q "{panic_words}" /tmp/dmesg 2>/dev/null; then say dmesg-readable yes; else say dmesg-readable no; fi
else
  say makedumpfile-missing
fi
say {success}
sync
poweroff -f
"""


def _init_header(token: str) -> str:
    return _COMMON.replace("{token}", token)


def _busybox(writer: CpioWriter, busybox: str) -> None:
    writer.file("bin/busybox", busybox, 0o755)
    for applet in APPLETS:
        writer.symlink(f"bin/{applet}", "busybox")
    writer.directory("sbin")
    writer.directory("proc")
    writer.directory("sys")
    writer.directory("tmp")
    writer.directory("dev")
    writer.char_device("dev/console", 5, 1)
    writer.char_device("dev/ttyS0", 4, 64)


def _tool(writer: CpioWriter, tool: HostTool, where: str) -> None:
    writer.file(where, tool.path, 0o755)
    done: set[str] = set()
    for inside, host in tool.files:
        if inside not in done:
            done.add(inside)
            writer.file(inside.lstrip("/"), host, 0o755)


def write_arming(out: BinaryIO, *, token: str, busybox: str, kexec: HostTool,
                 argv: list[str], payload: list[tuple[str, str]]) -> None:
    """The system kernel's initramfs: runs ``argv`` (kexec ...) with ``payload`` at its paths."""
    writer = CpioWriter(out)
    _busybox(writer, busybox)
    _tool(writer, kexec, "sbin/kexec")
    for inside, host in payload:
        if not inside.startswith("/") or ".." in inside.split("/"):
            raise InputError("--kexec", f"{inside}: kexec needs an absolute path without '..' here")
        writer.file(inside.lstrip("/"), host, 0o644)
    script = _ARM.replace("{common}", _init_header(token)).replace("{kexec}", shlex.join(argv))
    writer.data("init", script.encode(), 0o755)
    writer.close()


def write_probe(out: BinaryIO, *, token: str, busybox: str, makedumpfile: HostTool | None,
                success: str = "probe-done", compress: bool = True) -> None:
    """The probe capture initrd, gzip-compressed as distributions ship theirs."""
    stream: BinaryIO = gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) if compress else out  # type: ignore[assignment]
    writer = CpioWriter(stream)
    _busybox(writer, busybox)
    if makedumpfile is not None:
        _tool(writer, makedumpfile, "bin/makedumpfile")
    script = (_PROBE.replace("{common}", _init_header(token)).replace("{panic_words}", PANIC_WORDS)
              .replace("{success}", success))
    writer.data("init", script.encode(), 0o755)
    writer.close()
    if compress:
        stream.close()
