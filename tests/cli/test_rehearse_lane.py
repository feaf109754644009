"""The QEMU lane: real rehearsals of Debian's 6.1 kernel, each beside `kcheck check`'s verdict.

Every case boots the real kernel in QEMU (TCG here), runs the set-up's own
kexec command from the arming initramfs, panics it with sysrq-c and follows
the capture kernel.  For each, the stage the rehearsal reaches is the one the
set-up should reach, and `kcheck check` (a separate process, with the VM's
memory as --memory) predicts the same outcome.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from rehearse_helpers import KEXEC, SCHEMA, debian_config, debian_image, requires_rehearsal

pytestmark = requires_rehearsal


def _rehearse(kcheck, tmp_path, cmdline: str, kexec: str, *extra: str) -> tuple[dict, object]:
    args = ["--system-image", str(debian_image()), "--cmdline", cmdline, "--kexec", kexec]
    config = debian_config()
    if config is not None:
        args += ["--system-config", str(config)]
    log = tmp_path / "console.log"
    result = kcheck("rehearse", *args, *extra, "--format", "json", "--console-log", str(log), "--timeout", "110")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    assert log.is_file() and "Linux version" in log.read_text()
    check = kcheck("check", *args, "--memory", "1G", "--format", "json")
    assert check.returncode in (0, 1), check.stderr
    # check's exit status is its verdict: 0 = no error = WILL capture
    assert (check.returncode == 0) == report["static"]["captures"]
    assert result.returncode == (0 if report["outcome"]["captured"] else 1)
    assert report["agree"] is True, (report["outcome"], report["static"])
    return report, result


def test_healthy_setup_captures_a_readable_dump(kcheck, tmp_path):
    report, result = _rehearse(kcheck, tmp_path, "root=/dev/sda1 ro crashkernel=256M", KEXEC)
    outcome = report["outcome"]
    assert outcome["stage"] == "dump-readable" and outcome["captured"]
    assert outcome["crash_size"] == 256 << 20
    assert outcome["vmcore_size"] > 512 << 20          # the system kernel's memory is in the dump
    assert 0 < outcome["capture_memory_kb"] < 256 << 10
    assert report["static"]["captures"] is True
    # progress on stderr, stage by stage
    for words in ("booting the system kernel", "capture kernel booted", "panic message found"):
        assert words in result.stderr


def test_no_crashkernel_reserves_nothing(kcheck, tmp_path):
    report, _ = _rehearse(kcheck, tmp_path, "root=/dev/sda1 ro", KEXEC)
    outcome = report["outcome"]
    assert outcome["stage"] is None and not outcome["captured"]
    assert any("Memory for crashkernel is not reserved" in w for w in outcome["words"])


def test_region_too_small_to_load(kcheck, tmp_path):
    report, _ = _rehearse(kcheck, tmp_path, "root=/dev/sda1 ro crashkernel=64M", KEXEC)
    outcome = report["outcome"]
    assert outcome["stage"] == "reserved"
    assert any("Could not find a free area of memory" in w for w in outcome["words"])


def test_kexec_l_loads_no_panic_kernel(kcheck, tmp_path):
    report, _ = _rehearse(kcheck, tmp_path, "root=/dev/sda1 ro crashkernel=256M", KEXEC.replace(" -p ", " -l "))
    outcome = report["outcome"]
    assert outcome["stage"] == "reserved"
    assert "kexec_crash_loaded is 0" in outcome["failure"]


def test_kexec_file_load(kcheck, tmp_path):
    report, _ = _rehearse(kcheck, tmp_path, "root=/dev/sda1 ro crashkernel=256M", KEXEC.replace(" -p ", " -s -p "))
    assert report["outcome"]["stage"] == "dump-readable"
    assert "-s" in report["kexec_argv"]
