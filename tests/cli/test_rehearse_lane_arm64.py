"""The QEMU lane on arm64: Debian 12's real arm64 kernels under qemu-system-aarch64 -M virt (TCG).

The programs in the VM are Debian 12's arm64 busybox-static, kexec-tools 2.0.25
and makedumpfile 1.7.2 (.ci/fetch-rehearse-parts arm64), given as --guest-root.
None of Debian's own arm64 set-ups yields a dump makedumpfile can read, and
these rehearsals show why, each beside `kcheck check`'s verdict:

* 6.1 has no CONFIG_KALLSYMS_ALL, so /proc/kallsyms has no _text and
  kexec_load writes a broken kernel-text segment into the dump's ELF header
  (KX030);
* 6.12 has KALLSYMS_ALL and a sound header, but 52-bit virtual addresses with
  4K pages, which no makedumpfile release reads (KS013);
* 6.1 has no kexec_file_load either, so `kexec -s` loads nothing (KX018).

One boot each; the 6.1 cases take about 15 s on an idle machine, 6.12 about 30 s.
"""

from __future__ import annotations

import json

import jsonschema

from rehearse_helpers import KEXEC, SCHEMA, arm64_parts, requires_arm64_rehearsal

pytestmark = requires_arm64_rehearsal
ARM64_KEXEC = KEXEC.replace("/dev/sda1", "/dev/vda1")
HEALTHY_BOOT = "root=/dev/vda1 ro crashkernel=256M"


def _rehearse(kcheck, tmp_path, series: str, cmdline: str, kexec: str) -> dict:
    parts = arm64_parts()
    args = ["--system-image", str(parts / f"vmlinuz-{series}-arm64"), "--system-config",
            str(parts / f"config-{series}-arm64"), "--cmdline", cmdline, "--kexec", kexec]
    log = tmp_path / "console.log"
    result = kcheck("rehearse", *args, "--guest-root", str(parts / "root"), "--format", "json",
                    "--console-log", str(log), "--timeout", "150")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["vm"]["arch"] == "arm64" and "console=ttyAMA0" in log.read_text()
    check = kcheck("check", *args, "--memory", "1G", "--format", "json")
    assert check.returncode in (0, 1), check.stderr
    assert (check.returncode == 0) == report["static"]["captures"]
    assert result.returncode == (0 if report["outcome"]["captured"] else 1)
    assert report["agree"] is True, (report["outcome"], report["static"])
    return report


def test_61_kexec_load_writes_a_dump_header_makedumpfile_cannot_read(kcheck, tmp_path):
    """The capture kernel boots and /proc/vmcore has a VMCOREINFO note, but its size is absurd."""
    report = _rehearse(kcheck, tmp_path, "6.1", HEALTHY_BOOT, ARM64_KEXEC)
    outcome = report["outcome"]
    assert outcome["stage"] == "vmcore-valid" and not outcome["captured"]
    assert outcome["vmcore_size"] > 1 << 50             # the kernel-text PT_LOAD's size is garbage
    assert any("Can't get the address of system_utsname" in w for w in outcome["words"]), outcome["words"]
    assert "KX030" in report["static"]["errors"]
    assert "KS013" not in report["static"]["errors"]    # 48-bit VA: makedumpfile's layout is fine


def test_612_makedumpfile_cannot_read_52_bit_va(kcheck, tmp_path):
    """KALLSYMS_ALL=y: a sound header (the dump is about the VM's RAM), but makedumpfile refuses it."""
    report = _rehearse(kcheck, tmp_path, "6.12", HEALTHY_BOOT, ARM64_KEXEC)
    outcome = report["outcome"]
    assert outcome["stage"] == "vmcore-valid" and not outcome["captured"]
    assert 512 << 20 < outcome["vmcore_size"] < 1 << 30
    assert outcome["words"][0].endswith("Can't determine platform config values"), outcome["words"]
    assert report["static"]["errors"] == ["KS013"]      # and not KX030: kallsyms has _text


def test_61_kexec_s_without_kexec_file_load(kcheck, tmp_path):
    """Debian's arm64 6.1 has no CONFIG_KEXEC_FILE: -s fails, nothing is armed."""
    report = _rehearse(kcheck, tmp_path, "6.1", HEALTHY_BOOT, ARM64_KEXEC.replace(" -p ", " -s -p "))
    outcome = report["outcome"]
    assert outcome["stage"] == "reserved" and not outcome["captured"]
    assert any("kexec_file_load not available" in line for line in outcome["words"]), outcome
    assert "KX018" in report["static"]["errors"]
