"""False alarms found in use, each kept as a regression test."""

from __future__ import annotations

from pathlib import Path

from kcheck.domain.findings import Status
from tests.rules.harness import evaluate_case


def test_kb010_is_silent_without_any_crashkernel(tmp_path: Path) -> None:
    """KB010 said "only crashkernel=not set is used" on a line with no crashkernel= at all."""
    result = evaluate_case("KB010", {"base": "2.6.13", "cmdline": "ro root=/dev/hda1"}, tmp_path)
    assert result.status is Status.SKIP


def test_crashkernel_auto_is_valid_on_rhel_kernels_only(tmp_path: Path) -> None:
    """crashkernel=auto is RHEL's (<= 8); upstream rejects it and reserves nothing."""
    from kcheck.app.pipeline import CheckRequest, read_setup

    config = tmp_path / "config-4.18.0-348.el8.x86_64"
    config.write_text("#\n# Automatically generated file; DO NOT EDIT.\n"
                      "# Linux/x86_64 4.18.0-348.el8.x86_64 Kernel Configuration\n#\nCONFIG_X86_64=y\n")
    rhel = read_setup(CheckRequest(system_config=str(config), cmdline="ro crashkernel=auto"))
    assert rhel.lookup("boot.crashkernel.reserves") is True
    upstream = tmp_path / "config-4.18.0"
    upstream.write_text(config.read_text().replace(".el8.x86_64", ""))
    plain = read_setup(CheckRequest(system_config=str(upstream), cmdline="ro crashkernel=auto"))
    assert plain.lookup("boot.crashkernel.reserves") is False
    assert "RHEL" in plain.lookup("boot.crashkernel.problem")


def test_kx007_accepts_a_dump_only_systemd_unit_without_an_initrd(tmp_path: Path) -> None:
    """``kexec.append.param.systemd.unit`` was looked up as the parameter "systemd": KX007
    warned about a full multi-user boot although systemd.unit= names the dump-only unit."""
    case = {"base": "debian:amd64_none_amd64",
            "kexec": 'kexec -p --command-line="root=/dev/sda1 ro reset_devices '
                     'systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll" /var/lib/kdump/vmlinuz'}
    assert evaluate_case("KX007", case, tmp_path).status is Status.PASS
    case["kexec"] = case["kexec"].replace("systemd.unit=kdump-tools-dump.service ", "")
    assert evaluate_case("KX007", case, tmp_path).status is Status.FAIL
