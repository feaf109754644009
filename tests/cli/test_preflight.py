"""``kcheck preflight`` on the captured host trees in fixtures/hosts, as a user runs it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import FIXTURES, ROOT, run_kcheck
from tests.preflight_helpers import copy_tree

HOSTS = FIXTURES / "hosts"
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
WILL = "This host WILL capture a crash dump."
WONT = "This host will NOT capture a crash dump: "

# tree -> (exit status, rule named by the verdict, errors that must be reported)
EXPECTED = {
    "debian-healthy": (0, None, set()),
    "fedora-healthy": (0, None, set()),
    "debian-broken": (1, "KH002", {"KH002", "KH009"}),
    "fedora-broken": (1, "KH007", {"KH007", "KH008", "KH009"}),  # 64M: loads nothing, could run nothing
}


def _last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


@pytest.mark.parametrize("tree", sorted(EXPECTED))
def test_text_verdict_and_exit_status(tree: str) -> None:
    status, _, errors = EXPECTED[tree]
    result = run_kcheck("preflight", "--root", str(HOSTS / tree))
    assert result.returncode == status, result.stdout + result.stderr
    assert result.stderr == ""
    verdict = _last_line(result.stdout)
    if status == 0:
        assert verdict == WILL
    else:
        assert verdict.startswith(WONT) and verdict.endswith(".")
    for rule in errors:
        assert f"error   {rule} " in result.stdout


@pytest.mark.parametrize("tree", sorted(EXPECTED))
def test_json_report_validates_and_carries_the_verdict(tree: str) -> None:
    status, rule, errors = EXPECTED[tree]
    result = run_kcheck("preflight", "--root", str(HOSTS / tree), "--format", "json")
    assert result.returncode == status
    report = json.loads(result.stdout)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert report["verdict"]["captures"] is (status == 0)
    assert report["verdict"]["rule"] == rule
    found = {f["rule"] for f in report["findings"] if f["severity"] == "error"}
    assert found == errors
    host = report["inputs"]["host"]
    assert host["service"] == ("kdump-tools" if tree.startswith("debian") else "kdumpctl")
    assert report["inputs"]["kexec"].startswith("kexec ")


def test_debian_broken_names_the_failed_reservation() -> None:
    result = run_kcheck("preflight", "--root", str(HOSTS / "debian-broken"))
    assert _last_line(result.stdout) == (
        WONT + 'crashkernel=384M-:128M is on the command line, but the kernel reserved no crash '
        'region (no "Crash kernel" in /proc/iomem).')


def test_fedora_broken_reports_region_and_missing_initrd() -> None:
    result = run_kcheck("preflight", "--root", str(HOSTS / "fedora-broken"))
    assert "the crash region is 64M but loading needs at least" in _last_line(result.stdout)
    assert "warning KH010 kdump-initrd-not-built" in result.stdout


def test_healthy_reports_have_no_host_findings_but_debian_12s_makedumpfile() -> None:
    """Debian 12 ships makedumpfile 1.7.2 (LATEST_VERSION 6.0.1) with its 6.1 kernel: KH015, as makedumpfile warns."""
    for tree, expected in (("debian-healthy", ["KH015"]), ("fedora-healthy", [])):
        report = json.loads(run_kcheck("preflight", "--root", str(HOSTS / tree),
                                       "--format", "json").stdout)
        assert [f["rule"] for f in report["findings"] if f["concerns"] == "host"] == expected


def test_derived_kexec_commands_follow_the_services() -> None:
    debian = json.loads(run_kcheck("preflight", "--root", str(HOSTS / "debian-healthy"),
                                   "--format", "json").stdout)["inputs"]
    assert debian["host"]["capture_cmdline"] == (
        "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=4c2f1d9e-8a4b-4f0e-9d53-2b7e1a6c9f20 ro "
        "quiet reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb")
    assert debian["kexec"].endswith("--initrd=/var/lib/kdump/initrd.img /var/lib/kdump/vmlinuz")
    assert " -s " not in debian["kexec"]
    fedora = json.loads(run_kcheck("preflight", "--root", str(HOSTS / "fedora-healthy"),
                                   "--format", "json").stdout)["inputs"]
    cmdline = fedora["host"]["capture_cmdline"]
    assert cmdline.startswith("BOOT_IMAGE=(hd0,gpt2)/vmlinuz-6.1.192-200.fc37.x86_64 ro rhgb irqpoll")
    assert "root=" not in cmdline and "rd.lvm.lv" not in cmdline and "crashkernel" not in cmdline
    assert cmdline.endswith("pcie_ports=compat disable_cpu_apicid=0")
    assert fedora["kexec"].startswith("kexec -s -s -p --command-line=")
    assert fedora["host"]["file_syscall"] is True and fedora["host"]["secure_boot"] is True


def test_verdict_follows_fail_on_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = run_kcheck("preflight", "--root", str(HOSTS / "fedora-broken"), "--fail-on", "never",
                        "--output", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert _last_line(out.read_text()).startswith(WONT)


def test_missing_cmdline_is_one_clear_error(tmp_path: Path) -> None:
    root = copy_tree(HOSTS / "debian-healthy", tmp_path / "host")
    (root / "proc" / "cmdline").unlink()
    result = run_kcheck("preflight", "--root", str(root))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"kcheck: error: {root}/proc/cmdline: no such file\n"


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_root_must_be_a_directory(kind: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    if kind == "file":
        root.write_text("not a tree\n")
    result = run_kcheck("preflight", "--root", str(root))
    assert result.returncode == 2
    what = "not a directory" if kind == "file" else "no such directory"
    assert result.stderr == f"kcheck: error: --root: {root}: {what}\n"


def test_absolute_link_out_of_the_tree_stays_inside(tmp_path: Path) -> None:
    """A captured /var/lib/kdump/vmlinuz -> /etc/passwd must read ROOT/etc/passwd, never the real one."""
    root = copy_tree(HOSTS / "debian-healthy", tmp_path / "host")
    link = root / "var" / "lib" / "kdump" / "vmlinuz"
    link.unlink()
    link.symlink_to("/etc/passwd")
    result = run_kcheck("preflight", "--root", str(root), "--format", "json")
    report = json.loads(result.stdout)
    assert report["verdict"]["rule"] == "KH005"
    assert "KDUMP_KERNEL /var/lib/kdump/vmlinuz does not exist" in report["verdict"]["reason"]


def test_unprivileged_iomem_is_a_note_not_an_error(tmp_path: Path) -> None:
    root = copy_tree(HOSTS / "debian-healthy", tmp_path / "host")
    text = (root / "proc" / "iomem").read_text()
    (root / "proc" / "iomem").write_text(re.sub(r"[0-9a-f]+-[0-9a-f]+ :", "00000000-00000000 :", text))
    result = run_kcheck("preflight", "--root", str(root))
    assert result.returncode == 0, result.stdout
    assert "info    KH013 iomem-unreadable" in result.stdout
    assert "run kcheck preflight as root" in result.stdout
    # Without the RAM size the crashkernel= ranges cannot be resolved: no error,
    # but no "WILL capture" either, and --require-complete fails on it.
    assert _last_line(result.stdout) == (
        "INCOMPLETE: kcheck cannot tell whether this host will capture a crash dump: 4 rules could not "
        "be judged (RAM size unknown (crashkernel= uses ranges)).")
    assert WILL not in result.stdout and "\nOK" not in result.stdout
    assert run_kcheck("preflight", "--root", str(root), "--require-complete").returncode == 1
    report = json.loads(run_kcheck("preflight", "--root", str(root), "--format", "json").stdout)
    assert report["verdict"]["captures"] is None and report["verdict"]["complete"] is False
    assert report["summary"]["verdict"] == "incomplete"


def test_check_leaves_host_rules_to_preflight(old_setup: dict[str, str]) -> None:
    args = [item for pair in old_setup.items() for item in pair]
    report = json.loads(run_kcheck("check", *args, "--format", "json").stdout)
    assert not [r for r in report["results"] if r["concerns"] == "host"]
    assert report["verdict"] is None


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/proc/iomem").exists(), reason="needs a Linux host")
def test_live_host_runs_without_traceback() -> None:
    result = run_kcheck("preflight")
    assert result.returncode in (0, 1, 2)
    assert "Traceback" not in result.stderr
