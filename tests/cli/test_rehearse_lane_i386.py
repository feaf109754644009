"""The QEMU lane on i386: Debian's real 6.1 686 (non-PAE) and 686-pae kernels, i386 programs.

kdump.txt asks for ELF32 core headers (kexec --elf32-core-headers) on a non-PAE
i386 system; these rehearsals show what kexec-tools 2.0.25 and Linux 6.1 really
do.  The programs in the VM are Debian's i386 busybox-static, kexec-tools and
makedumpfile (.ci/fetch-rehearse-parts i386), given as --guest-root.  As in the
x86_64 lane, `kcheck check` (with the VM's memory) predicts every outcome.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from rehearse_helpers import KEXEC, LANE_SUCCESS, SCHEMA, build_lane_probe, i386_parts, requires_i386_rehearsal

pytestmark = requires_i386_rehearsal
#: 128M, not 256M: on i386 the region must lie below 512M, where KASLR also puts the kernel; a
#: 256M region finds no room at some boots (seen in these rehearsals), 128M always does
HEALTHY = "root=/dev/sda1 ro crashkernel=128M"


def _rehearse(kcheck, tmp_path, flavour: str, cmdline: str, kexec: str, *extra: str) -> dict:
    parts = i386_parts()
    args = ["--system-image", str(parts / f"vmlinuz-6.1-{flavour}"), "--system-config",
            str(parts / f"config-6.1-{flavour}"), "--cmdline", cmdline, "--kexec", kexec]
    result = kcheck("rehearse", *args, "--guest-root", str(parts / "root"), *extra,
                    "--format", "json", "--timeout", "110")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["vm"]["arch"] == "i386" and report["inputs"]["guest_root"] == str(parts / "root")
    memory = extra[extra.index("--vm-memory") + 1] if "--vm-memory" in extra else "1G"
    check = kcheck("check", *args, "--memory", memory, "--format", "json")
    assert check.returncode in (0, 1), check.stderr
    assert (check.returncode == 0) == report["static"]["captures"]
    assert report["agree"] is True, (report["outcome"], report["static"])
    return report


def test_non_pae_default_headers_are_elf32_and_dump(kcheck, tmp_path):
    """kexec-tools picks ELF32 by itself when all memory is below 4G (crashdump-x86.c get_core_type)."""
    report = _rehearse(kcheck, tmp_path, "686", HEALTHY, KEXEC)
    outcome = report["outcome"]
    assert outcome["stage"] == "dump-readable" and outcome["vmcore_class"] == "ELF32"
    assert outcome["vmcore_size"] > 512 << 20


def test_non_pae_elf64_headers_still_dump(kcheck, tmp_path):
    """--elf64-core-headers on non-PAE 6.1: the capture kernel and makedumpfile read ELF64 headers."""
    kexec = KEXEC.replace(" -p ", " -p --elf64-core-headers ")
    report = _rehearse(kcheck, tmp_path, "686", HEALTHY, kexec)
    outcome = report["outcome"]
    assert outcome["stage"] == "dump-readable" and outcome["vmcore_class"] == "ELF64"
    assert "KX005" not in report["static"]["errors"] + report["static"]["warnings"]


def test_pae_healthy_setup_dumps(kcheck, tmp_path):
    report = _rehearse(kcheck, tmp_path, "686-pae", HEALTHY, KEXEC)
    assert report["outcome"]["stage"] == "dump-readable"


def test_non_pae_region_too_small_to_run(kcheck, tmp_path):
    """36M holds the 16M kernel and the 3M probe (kexec loads), but the capture kernel dies in it.

    Not 40M: that is the boundary (it failed once and dumped once, calibration/capture-memory.toml).
    """
    probe = build_lane_probe(tmp_path / "probe.img", root=str(i386_parts() / "root"))
    kexec = KEXEC.replace("--initrd=/boot/initrd.img", f"--initrd={probe}")
    report = _rehearse(kcheck, tmp_path, "686", "root=/dev/sda1 ro crashkernel=36M", kexec,
                       "--capture-initrd", str(probe), "--success-pattern", LANE_SUCCESS)
    outcome = report["outcome"]
    assert outcome["stage"] == "panicked", outcome
    assert "KI014" in report["static"]["errors"]
    assert any("memory" in w.lower() for w in outcome["words"]), outcome["words"]


def test_region_beyond_the_512m_window_is_never_reserved(kcheck, tmp_path):
    """KB011: however much RAM (2G here), i386 searches for the region between 16M and 512M only."""
    report = _rehearse(kcheck, tmp_path, "686", "root=/dev/sda1 ro crashkernel=512M", KEXEC, "--vm-memory", "2G")
    outcome = report["outcome"]
    assert outcome["stage"] is None and not outcome["captured"]
    assert "No suitable area found" in outcome["failure"], outcome["failure"]
    assert "KB011" in report["static"]["errors"]


def test_pae_elf32_headers_above_4g_dump_with_the_high_memory_wrong(kcheck, tmp_path):
    """KX017 is a warning, not an error: with --elf32-core-headers and 5G, kexec-tools truncates
    the above-4G range's address (crashdump-elf.c), yet the dump is written and its log read.

    5G runs in qemu-system-x86_64: qemu-system-i386 cannot use RAM above 4G.
    """
    kexec = KEXEC.replace(" -p ", " -p --elf32-core-headers ")
    report = _rehearse(kcheck, tmp_path, "686-pae", HEALTHY, kexec, "--vm-memory", "5G")
    outcome = report["outcome"]
    assert report["vm"]["qemu"].endswith("qemu-system-x86_64"), report["vm"]
    assert outcome["stage"] == "dump-readable" and outcome["vmcore_class"] == "ELF32", outcome
    assert outcome["vmcore_size"] > 4 << 30
    assert "KX017" in report["static"]["warnings"] and report["static"]["captures"] is True
