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


# --- the capture kernel's need to run, and the calibration, checked live -------------------------
# These use the probe built by the test (tests/rehearse_helpers.py) as "the user's initrd", named in
# the kexec command, so `kcheck check` reads the file the capture kernel really unpacks.

@pytest.fixture(scope="module")
def lane_initrds(tmp_path_factory):
    from rehearse_helpers import build_lane_probe

    where = tmp_path_factory.mktemp("initrds")
    return {"probe": build_lane_probe(where / "probe.img"),
            "large": build_lane_probe(where / "large.img", padding=40 << 20)}


def _own_initrd(initrd) -> tuple[str, list[str]]:
    from rehearse_helpers import LANE_SUCCESS

    kexec = KEXEC.replace("--initrd=/boot/initrd.img", f"--initrd={initrd}")
    return kexec, ["--capture-initrd", str(initrd), "--success-pattern", LANE_SUCCESS]


def _static_minimum_mb(initrd) -> int:
    from kcheck.domain.capture_memory import run_need
    from kcheck.inputs.calibration import capture_memory_model
    from kcheck.inputs.image import read_image
    from kcheck.inputs.initrd import read_initrd

    info = read_initrd(str(initrd))
    image = read_image(str(debian_image()))
    assert info.kind == "probe", info.kind_why
    need = run_need(capture_memory_model(), arch="x86_64", kind=info.kind, kernel=image.setup_header.init_size,
                    initrd_file=info.size, initrd_unpacked=info.unpacked_bytes)
    return need.minimum >> 20


def test_region_too_small_to_run(kcheck, tmp_path, lane_initrds):
    """88M loads the capture kernel and initrd, but it cannot run in it (measured: 88M fails)."""
    kexec, extra = _own_initrd(lane_initrds["probe"])
    assert _static_minimum_mb(lane_initrds["probe"]) > 88
    report, _ = _rehearse(kcheck, tmp_path, "root=/dev/sda1 ro crashkernel=88M", kexec, *extra)
    outcome = report["outcome"]
    assert outcome["stage"] == "panicked", outcome          # the capture kernel started, then died
    assert "KI014" in report["static"]["errors"]
    assert any("memory" in w.lower() for w in outcome["words"]), outcome["words"]


def test_static_minimum_captures(kcheck, tmp_path, lane_initrds):
    """The calibration, live: a region of exactly kcheck's static minimum gives a readable dump."""
    kexec, extra = _own_initrd(lane_initrds["probe"])
    minimum = _static_minimum_mb(lane_initrds["probe"])
    report, _ = _rehearse(kcheck, tmp_path, f"root=/dev/sda1 ro crashkernel={minimum}M", kexec, *extra)
    assert report["outcome"]["captured"], report["outcome"]
    assert "KI014" not in report["static"]["errors"] and "KI015" in report["static"]["warnings"]


def test_large_poorly_compressible_initrd(kcheck, tmp_path, lane_initrds):
    """A 40M random initrd: 160M holds it and the kernel (kexec loads), unpacking it does not fit."""
    kexec, extra = _own_initrd(lane_initrds["large"])
    report, _ = _rehearse(kcheck, tmp_path, "root=/dev/sda1 ro crashkernel=160M", kexec, *extra)
    outcome = report["outcome"]
    assert outcome["stage"] == "panicked", outcome
    assert "KI010" not in report["static"]["errors"] and "KI014" in report["static"]["errors"]


def test_crashkernel_on_the_capture_line_still_dumps(kcheck, tmp_path):
    """KX013 recalibrated: the capture kernel's reservation fails and the dump is written."""
    kexec = KEXEC.replace("reset_devices'", "reset_devices crashkernel=256M'")
    report, _ = _rehearse(kcheck, tmp_path, "root=/dev/sda1 ro crashkernel=256M", kexec)
    assert report["outcome"]["captured"]
    assert "KX013" in report["static"]["warnings"]
    log = (tmp_path / "console.log").read_text()
    assert "crashkernel reservation failed" in log


def test_timeout_ends_qemu_and_leaves_nothing(kcheck, tmp_path):
    """--timeout stops the VM; QEMU is gone and the scratch directory removed."""
    import os

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env_tmp = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(scratch)
    try:
        result = kcheck("rehearse", "--system-image", str(debian_image()), "--cmdline",
                        "root=/dev/sda1 ro crashkernel=256M", "--kexec", KEXEC, "--timeout", "5",
                        "--format", "json", "--accel", "tcg")
    finally:
        if env_tmp is None:
            os.environ.pop("TMPDIR")
        else:
            os.environ["TMPDIR"] = env_tmp
    assert result.returncode == 1, result.stderr
    outcome = json.loads(result.stdout)["outcome"]
    assert outcome["ended"] == "timeout" and "timeout" in outcome["failure"]
    assert list(scratch.iterdir()) == []
    assert not _processes_mentioning(str(scratch))


def test_sigterm_ends_qemu_and_leaves_nothing(tmp_path):
    """kcheck killed mid-rehearsal (SIGTERM): exit 2, QEMU gone, scratch removed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "kcheck", "rehearse", "--system-image", str(debian_image()),
                                "--cmdline", "root=/dev/sda1 ro crashkernel=256M", "--kexec", KEXEC,
                                "--accel", "tcg"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _processes_mentioning(str(scratch), "qemu"):
        time.sleep(0.2)
    assert _processes_mentioning(str(scratch), "qemu"), "QEMU never started"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2 and err.strip().splitlines()[-1].startswith("kcheck: error: rehearse: interrupted")
    time.sleep(0.5)
    assert not _processes_mentioning(str(scratch))
    assert list(scratch.iterdir()) == []


def _processes_mentioning(text: str, program: str = "") -> list[int]:
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and program in cmdline:
            found.append(int(pid))
    return found
