"""`kcheck check --arch sparc64` says plainly that kdump is impossible there (KS012)."""

from __future__ import annotations

import json

from tests.conftest import ROOT, run_kcheck

CONFIG = str(ROOT / "fixtures" / "ci" / "x86_64-6.1.config")


def test_sparc64_has_no_kdump() -> None:
    result = run_kcheck("check", "--arch", "sparc64", "--system-config", CONFIG)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error   KS012 arch-has-no-kdump" in result.stdout
    assert "sparc64: no Linux kernel for this architecture has kdump" in result.stdout


def test_riscv64_and_loongarch64_are_kdump_architectures() -> None:
    for arch in ("riscv64", "loongarch64"):
        report = json.loads(run_kcheck("check", "--arch", arch, "--system-config", CONFIG,
                                       "--format", "json").stdout)
        assert "KS012" not in {f["rule"] for f in report["findings"]}
        (ks012,) = [r for r in report["results"] if r["rule"] == "KS012"]
        assert ks012["status"] == "pass"


def test_on_a_kdump_less_architecture_only_the_arch_rules_speak(tmp_path) -> None:
    """No "set CONFIG_CRASH_DUMP=y" or "CONFIG_KEXEC=y" fixes that cannot exist on sparc64:
    the other rules are not applicable, and the verdict is complete (kdump is impossible)."""
    config = tmp_path / "sparc64.config"
    config.write_text("# Linux/sparc64 6.12.0 Kernel Configuration\nCONFIG_SPARC=y\nCONFIG_SPARC64=y\n"
                      "CONFIG_64BIT=y\nCONFIG_SYSFS=y\n")
    report = json.loads(run_kcheck("check", "--system-config", str(config), "--cmdline", "ro crashkernel=256M",
                                   "--kexec", "kexec -p /boot/vmlinuz", "--format", "json").stdout)
    assert [f["rule"] for f in report["findings"]] == ["KS012"]
    assert report["summary"]["complete"] is True
