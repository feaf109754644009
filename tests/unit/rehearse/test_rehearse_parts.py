"""kcheck rehearse's parts that need no VM: cpio writer, initrd reader, console stages, the plan."""

from __future__ import annotations

import gzip
import io
import lzma
import os
import shutil
import subprocess

import pytest

from kcheck.domain.errors import InputError
from kcheck.inputs.initrd import read_initrd
from kcheck.rehearse.cpio import CpioWriter
from kcheck.rehearse.plan import PROBE_INITRD_PATH, boot_line, kexec_argv
from kcheck.rehearse.stages import Console


def _archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    writer = CpioWriter(out)
    for name, data in files.items():
        writer.data(name, data)
    writer.symlink("bin/sh", "busybox")
    writer.char_device("dev/console", 5, 1)
    writer.close()
    return out.getvalue()


@pytest.mark.skipif(shutil.which("cpio") is None, reason="cpio(1) not installed (Debian: cpio)")
def test_cpio_writer_is_read_by_gnu_cpio(tmp_path):
    data = _archive({"init": b"#!/bin/sh\n", "lib/deep/x.so": os.urandom(5000)})
    listing = subprocess.run(["cpio", "-itv"], input=data, capture_output=True, check=True).stdout.decode()
    names = [line.split()[-1] if "->" not in line else line.split()[-3] for line in listing.splitlines()]
    assert names == ["init", "lib", "lib/deep", "lib/deep/x.so", "bin", "bin/sh", "dev", "dev/console"]
    assert "5,   1" in listing and "5000" in listing
    assert len(data) % 512 == 0


def test_initrd_concatenated_archives_as_distributions_build_them(tmp_path):
    early = _archive({"kernel/x86/microcode/GenuineIntel.bin": b"m" * 10000})
    main = _archive({"init": b"x" * 100, "big": os.urandom(3 * 4096 + 1)})
    path = tmp_path / "initrd.img"
    path.write_bytes(early + gzip.compress(main) + b"\0" * 512 + lzma.compress(_archive({"extra": b"e" * 5})))
    info = read_initrd(str(path))
    assert [a.compression for a in info.archives] == ["none", "gzip", "xz"]
    assert info.archives[1].offset == len(early)   # the padding after the trailer is skipped
    assert info.files == 4
    assert info.data_bytes == 10000 + 100 + 3 * 4096 + 1 + 5
    assert info.unpacked_bytes == (3 + 1 + 4 + 1) * 4096  # each file rounded up to a page
    assert info.size == path.stat().st_size


@pytest.mark.parametrize("content, words", [
    (b"this is not an initramfs at all", "not an initramfs"),
    (b"", "empty"),
    (gzip.compress(b"plain text, not cpio" * 10), "cpio header"),
    (gzip.compress(_archive({"init": os.urandom(40000)}))[:-200], "truncated"),
])
def test_initrd_garbage_is_one_error(tmp_path, content, words):
    path = tmp_path / "initrd"
    path.write_bytes(content)
    with pytest.raises(InputError, match=words):
        read_initrd(str(path))


def _feed(console: Console, lines: list[str]) -> None:
    for line in lines:
        if console.feed(line):
            break


def test_console_stages_and_words():
    c = Console("abc")
    _feed(c, ["[    0.0] Linux version 6.1.0-57-amd64 (x)", "@@kcheck:abc:system-booted",
              "@@kcheck:abc:crash-size 0", "@@kcheck:abc:kexec-start",
              "Memory for crashkernel is not reserved",
              "Please reserve memory by passing\"crashkernel=Y@X\" parameter to kernel",
              "[    3.1] random kernel line during kexec", "@@kcheck:abc:kexec-status 255",
              "@@kcheck:abc:crash-loaded 0"])
    assert c.reached() is None
    assert c.kexec_output[0] == "Memory for crashkernel is not reserved"
    assert all("random kernel line" not in line for line in c.kexec_output)


def test_console_ignores_markers_with_another_token():
    c = Console("abc")
    _feed(c, ["@@kcheck:zzz:crash-size 1000", "@@kcheck:zzz:crash-loaded 1"])
    assert c.events == {}


def test_console_capture_panic_ends_the_rehearsal():
    c = Console("t")
    lines = ["[ 0.0] Linux version 6.1", "@@kcheck:t:system-booted", "@@kcheck:t:crash-size 100663296",
             "@@kcheck:t:kexec-start", "@@kcheck:t:kexec-status 0", "@@kcheck:t:crash-loaded 1",
             "@@kcheck:t:panic", "[ 3.0] Kernel panic - not syncing: sysrq triggered crash",
             "[ 0.0] Linux version 6.1", "[ 1.0] Initramfs unpacking failed: write error",
             "[ 1.5] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)",
             "[ 1.6] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---",
             "never read"]
    _feed(c, lines)
    assert c.done and c.lines == len(lines) - 1
    assert c.reached() == "panicked"
    assert c.capture_panic.startswith("Kernel panic - not syncing: VFS")
    assert "Initramfs unpacking failed: write error" in c.capture_words


def test_boot_line_adds_only_the_console():
    line, added = boot_line("root=/dev/sda1 console=ttyS0,115200 crashkernel=256M")
    assert line == "root=/dev/sda1 console=ttyS0,115200 crashkernel=256M" and added == []
    line, added = boot_line("quiet crashkernel=384M-:128M", crashkernel="96M")
    assert "crashkernel=96M" in line and "384M" not in line and "console=ttyS0" in line


def test_kexec_argv_additions():
    words, kernel, initrd, added = kexec_argv(
        "sudo kexec -p /boot/vmlinuz --initrd=/boot/initrd.img --append='root=/dev/sda1 1'", "ro", "--kexec")
    assert words[:2] == ["kexec", "-p"] and words[-1] == "--append=root=/dev/sda1 1 console=ttyS0"
    assert (kernel, initrd) == ("/boot/vmlinuz", "/boot/initrd.img")
    words, _, initrd, added = kexec_argv("kexec -p vmlinuz --reuse-cmdline", "ro console=ttyS0", "--kexec")
    assert initrd == PROBE_INITRD_PATH and f"--initrd={PROBE_INITRD_PATH}" in words
    assert not any(w.startswith("--append") for w in words)
    with pytest.raises(InputError, match="not a kexec command"):
        kexec_argv("rm -rf /", "", "--kexec")
    with pytest.raises(InputError, match="cannot be placed"):
        kexec_argv("kexec -p /proc/kcore", "", "--kexec")


def test_console_control_characters_never_reach_a_report():
    c = Console("t")
    _feed(c, ["[ 0.0] Linux version 6.1", "@@kcheck:t:system-booted", "@@kcheck:t:crash-size 0",
              "@@kcheck:t:kexec-start", "\x1b]0;evil\x07Could not find a free area of memory\x1b[2J",
              "@@kcheck:t:kexec-status 1"])
    assert c.kexec_output == ["?]0;evil?Could not find a free area of memory?[2J"]


def _report(captured: bool):
    from kcheck.rehearse.report import RehearsalReport
    from kcheck.rehearse.verdict import Outcome

    outcome = Outcome("dump-readable" if captured else "panicked", captured,
                      None if captured else "the capture kernel started but did not run its initrd: <&> \x1b",
                      () if captured else ("Kernel panic - not syncing: System is deadlocked on memory",),
                      "stopped", 12.5, "root=/dev/sda1 crashkernel=88M console=ttyS0", 88 << 20, None, None,
                      timeline={"panic": 5.0})
    return RehearsalReport({"system_image": "vmlinuz", "capture_image": "vmlinuz", "capture_initrd": "kcheck probe",
                            "overlay_probe": False, "boot_cmdline": "root=/dev/sda1 crashkernel=88M",
                            "kexec": "kexec -p vmlinuz", "makedumpfile": None},
                           {"arch": "x86_64", "qemu": "qemu-system-x86_64", "accel": "tcg", "memory_mb": 1024,
                            "cpus": 1}, ("kexec", "-p", "vmlinuz"), ("boot line: console=ttyS0",), outcome,
                           {"captures": True, "reason": None, "rule": None, "errors": [], "warnings": [],
                            "incomplete": None})


@pytest.mark.parametrize("captured", [True, False])
def test_report_renderers(captured):
    import json
    import xml.etree.ElementTree as ET

    import jsonschema

    from kcheck.rehearse.report import render_json, render_junit, render_text
    from rehearse_helpers import SCHEMA

    report = _report(captured)
    data = json.loads(render_json(report))
    jsonschema.validate(data, SCHEMA)
    assert data["agree"] is captured and report.exit_status == (0 if captured else 1)
    suite = ET.fromstring(render_junit(report)).find("testsuite")
    assert suite is not None and suite.get("tests") == "7"
    assert suite.get("failures") == ("0" if captured else "1")
    failure = suite.find("testcase/failure")
    if not captured:
        assert failure is not None and "<&>" in failure.get("message") and "\x1b" not in failure.get("message")
        assert suite.findall("testcase")[4].find("skipped") is not None   # after the first missed stage
    text = render_text(report)
    assert ("CAPTURED" in text) is captured and ("DISAGREES" in text) is (not captured)
    assert "\x1b" not in text and ("\\x1b" in text) is (not captured)   # escaped, never raw, in a terminal


def test_arm64_console_is_the_pl011():
    """The virt machine's serial port is a PL011: ttyAMA0, on both command lines."""
    from kcheck.rehearse.plan import CONSOLE_FOR_ARCH

    console = CONSOLE_FOR_ARCH["arm64"]
    line, added = boot_line("root=/dev/vda1 crashkernel=256M", console=console)
    assert line.endswith("console=ttyAMA0") and added == ["boot line: console=ttyAMA0"]
    line, added = boot_line("root=/dev/vda1 console=ttyAMA0,115200", console=console)
    assert added == []
    line, _ = boot_line("root=/dev/vda1 console=ttyS0", console=console)
    assert "console=ttyAMA0" in line          # ttyS0 is no way out of an arm64 VM
    words, _, _, added = kexec_argv("kexec -p /boot/vmlinuz --append='1 irqpoll'", line, "--kexec", console)
    assert "--append=1 irqpoll console=ttyAMA0" in words
    assert added[0] == "capture command line: console=ttyAMA0"


def test_machine_args_per_architecture():
    from kcheck.rehearse.qemu import machine_args

    assert machine_args("x86_64", "tcg") == [] and machine_args("i386", "kvm") == ["-cpu", "host"]
    assert machine_args("arm64", "tcg") == ["-M", "virt", "-cpu", "cortex-a57"]
    assert machine_args("arm64", "kvm") == ["-M", "virt", "-cpu", "host"]


def test_makedumpfiles_own_reason_is_quoted():
    """makedumpfile says why it cannot read a dump ("Can't ..."): the report quotes it first."""
    from kcheck.rehearse.qemu import QemuRun
    from kcheck.rehearse.verdict import judge

    c = Console("t")
    _feed(c, ["[ 0.0] Linux version 6.12", "@@kcheck:t:system-booted", "@@kcheck:t:crash-size 268435456",
              "@@kcheck:t:kexec-start", "@@kcheck:t:kexec-status 0", "@@kcheck:t:crash-loaded 1",
              "@@kcheck:t:panic", "[ 3.0] Kernel panic - not syncing: sysrq triggered crash",
              "[ 0.0] Linux version 6.12", "@@kcheck:t:capture-booted", "@@kcheck:t:vmcore-present 844111872",
              "@@kcheck:t:vmcore-magic 7f454c4602", "@@kcheck:t:vmcoreinfo yes", "@@kcheck:t:makedumpfile-status 1",
              "get_machdep_info_arm64: Can't determine platform config values", "", "makedumpfile Failed.",
              "@@kcheck:t:dmesg-readable no", "@@kcheck:t:probe-done"])
    outcome = judge(c, QemuRun("stopped", None, 30.0, ""), boot_cmdline="", makedumpfile=True, timeline={})
    assert outcome.stage == "vmcore-valid" and not outcome.captured
    assert outcome.words[0] == "get_machdep_info_arm64: Can't determine platform config values"
