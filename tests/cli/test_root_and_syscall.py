"""The capture kernel's root device and kexec's system call, through the whole CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ci_common import OLD, run_kcheck
from tests.corpus import corpus_configs

DEBIAN = "amd64_none_amd64"


def _debian() -> str:
    configs = corpus_configs()
    if DEBIAN not in configs:
        pytest.skip("needs the Debian corpus: run .ci/fetch-corpus")
    return str(configs[DEBIAN])


def _kexec(root: str, extra: str = "") -> str:
    return (f'kexec -p {extra} --command-line="root={root} ro reset_devices nr_cpus=1 irqpoll" '
            "/var/lib/kdump/vmlinuz").replace("  ", " ")


def _check(*args: str) -> dict:
    return json.loads(run_kcheck("check", *args, "--format", "json").stdout)


def test_partuuid_without_initrd_cannot_be_judged_and_says_so() -> None:
    report = _check("--system-config", _debian(), "--cmdline", "root=PARTUUID=0c2a-01 crashkernel=256M",
                    "--kexec", _kexec("PARTUUID=0c2a-01"))
    result = next(r for r in report["results"] if r["rule"] == "KX023")
    assert result["status"] == "skip" and "cannot be known" in result["undecided"]
    assert report["summary"]["complete"] is False
    assert any("root device driver cannot be known" in c for c in report["summary"]["undecided_causes"])


def test_initrd_makes_root_rules_not_applicable() -> None:
    report = _check("--system-config", _debian(), "--cmdline", "root=UUID=5b1c crashkernel=256M",
                    "--kexec", _kexec("UUID=5b1c", "--initrd=/var/lib/kdump/initrd.img"))
    for rule in ("KX022", "KX023", "KX024"):
        result = next(r for r in report["results"] if r["rule"] == rule)
        assert result["status"] == "skip" and result["undecided"] is None


def test_ide_module_with_scsi_built_in_is_an_error(tmp_path) -> None:
    capture = (OLD / "capture.config").read_text().replace("CONFIG_BLK_DEV_IDEDISK=y", "CONFIG_BLK_DEV_IDEDISK=m")
    capture = capture.replace("CONFIG_SCSI=m", "CONFIG_SCSI=y").replace("CONFIG_BLK_DEV_SD=m", "CONFIG_BLK_DEV_SD=y")
    (tmp_path / "capture.config").write_text(capture)
    result = run_kcheck("check", "--system-config", str(OLD / "system.config"),
                        "--capture-config", str(tmp_path / "capture.config"),
                        "--cmdline-file", str(OLD / "cmdline"), "--kexec-file", str(OLD / "kexec"))
    assert result.returncode == 1
    assert "KX023" in result.stdout and "CONFIG_BLK_DEV_IDEDISK=y" in result.stdout
    assert "KX009" not in result.stdout, "another disk driver is built in: the old rule stayed silent"


@pytest.mark.parametrize(("version", "rule", "expect"), [
    ("2.0.25", "KX026", "fail"), ("2.0.27", "KX026", "skip"), (None, "KX027", "fail"), ("2.0.27", "KX027", "pass"),
])
def test_kexec_tools_version_decides_the_default_syscall(tmp_path, version: str | None, rule: str,
                                                         expect: str) -> None:
    text = Path(_debian()).read_text().replace("CONFIG_KEXEC=y", "# CONFIG_KEXEC is not set")
    config = tmp_path / "stream10.config"
    config.write_text(text)
    args = ["--system-config", str(config), "--cmdline", "root=/dev/sda1 crashkernel=256M",
            "--kexec", _kexec("/dev/sda1", "--initrd=/boot/initrd-kdump.img")]
    if version:
        args += ["--kexec-tools-version", version]
    report = _check(*args)
    assert next(r for r in report["results"] if r["rule"] == rule)["status"] == expect
    assert report["inputs"]["kexec_tools_version"] == version


def test_bad_kexec_tools_version_is_one_error_line() -> None:
    result = run_kcheck("check", "--system-config", str(OLD / "system.config"), "--kexec-tools-version", "two")
    assert result.returncode == 2
    assert result.stderr == "kcheck: error: --kexec-tools-version: 'two' is not a kexec-tools version such as 2.0.25\n"


def test_preflight_reads_kexec_tools_from_dpkg_and_judges_the_default_syscall(tmp_path) -> None:
    import gzip

    from tests.conftest import FIXTURES
    from tests.preflight_helpers import copy_tree

    root = copy_tree(FIXTURES / "hosts" / "debian-healthy", tmp_path / "host")
    config = root / "boot" / "config-6.1.0-56-amd64"
    text = gzip.decompress(config.read_bytes()).decode().replace("CONFIG_KEXEC=y", "# CONFIG_KEXEC is not set")
    config.write_text(text)
    report = json.loads(run_kcheck("preflight", "--root", str(root), "--format", "json").stdout)
    assert report["inputs"]["host"]["kexec_tools"]["version"] == "2.0.25"
    assert report["verdict"]["rule"] == "KX026" or "KX026" in {f["rule"] for f in report["findings"]}
    # Without the package database the release is unknown: a warning says what each would do.
    (root / "var" / "lib" / "dpkg" / "status").unlink()
    report = json.loads(run_kcheck("preflight", "--root", str(root), "--format", "json").stdout)
    assert report["inputs"]["host"]["kexec_tools"] is None
    assert "KX027" in {f["rule"] for f in report["findings"]}


def test_a_config_without_any_of_the_chain_does_not_say_how_root_is_built(tmp_path) -> None:
    """A fragment (or a config from a tree without drivers/) has none of the chain's symbols:
    not an error, but not judged either."""
    lines = [line for line in (OLD / "capture.config").read_text().splitlines()
             if not line.startswith(("CONFIG_IDE=", "CONFIG_BLK_DEV_IDE"))]
    (tmp_path / "capture.config").write_text("\n".join(lines) + "\n")
    report = _check("--system-config", str(OLD / "system.config"), "--capture-config", str(tmp_path / "capture.config"),
                    "--cmdline-file", str(OLD / "cmdline"), "--kexec-file", str(OLD / "kexec"))
    result = next(r for r in report["results"] if r["rule"] == "KX023")
    assert result["status"] == "skip" and "has none of CONFIG_IDE" in result["undecided"]
