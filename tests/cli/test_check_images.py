"""Kernel images on the command line: embedded configs, the memory map, a real Debian bzImage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_kcheck
from tests.corpus import corpus_image, corpus_image_config, requires_corpus
from tests.image_build import CONFIG_TEXT, build_bzimage, compress, link_vmlinux, size_append
from tests.modern_setups import BOOT

OLD = FIXTURES / "2.6.13"


def test_config_embedded_in_a_vmlinux_is_read(tmp_path: Path) -> None:
    vmlinux = link_vmlinux(tmp_path, ikconfig=CONFIG_TEXT)
    report = json.loads(run_kcheck("check", "--system-config", str(vmlinux), "--format", "json",
                                   "--fail-on", "never").stdout)
    assert report["inputs"]["system"]["version"] == "6.1"
    assert report["inputs"]["system"]["arch"] == "x86_64"  # CONFIG_64BIT with the Linux/x86 header
    assert "KS004" not in {f["rule"] for f in report["findings"]}  # <5.18 rule does not apply


@pytest.mark.parametrize("kind", ["gzip", "xz"])
def test_config_embedded_in_a_bzimage_payload_is_read(tmp_path: Path, kind: str) -> None:
    vmlinux = link_vmlinux(tmp_path, ikconfig=CONFIG_TEXT).read_bytes()
    image = tmp_path / "bzImage"
    image.write_bytes(build_bzimage(size_append(compress(vmlinux, kind), len(vmlinux))))
    result = run_kcheck("check", "--system-config", str(image), "--format", "json", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    findings = {f["rule"]: f for f in json.loads(result.stdout)["findings"]}
    assert "KS008" in findings  # the embedded config says "# CONFIG_DEBUG_INFO is not set"


def test_image_without_embedded_config_is_a_clear_error(tmp_path: Path) -> None:
    vmlinux = link_vmlinux(tmp_path)
    result = run_kcheck("check", "--system-config", str(vmlinux))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"kcheck: error: {vmlinux}: kernel image without an embedded config "
                                     "(CONFIG_IKCONFIG is off); pass the .config it was built from")


@pytest.mark.parametrize("content", [b"not a kernel at all" * 100, b"\x7fELF"])
def test_bad_image_is_one_line(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "vmlinuz"
    bad.write_bytes(content)
    result = run_kcheck("check", "--system-config", str(OLD / "capture.config"), "--capture-image", str(bad))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"kcheck: error: {bad}: ")


def test_memory_map_in_text_and_json(tmp_path: Path) -> None:
    image = link_vmlinux(tmp_path, "vmlinux-2.6.13-kdump", emulation="elf_i386", paddr=0x100000,
                         banner="Linux version 2.6.13 (kcheck@tests) #1")
    args = ["check", "--system-config", str(OLD / "system.config"), "--capture-config", str(OLD / "capture.config"),
            "--cmdline-file", str(OLD / "cmdline"), "--kexec-file", str(OLD / "kexec"), "--capture-image", str(image)]
    text = run_kcheck(*args).stdout
    assert "Physical memory (what the checks reason about)" in text
    assert "0x0000000001000000-0x0000000005000000     64M  crashkernel region" in text
    assert "capture kernel (vmlinux PT_LOAD)" in text and "!! outside the crashkernel region" in text
    assert "KI008" in text
    report = json.loads(run_kcheck(*args, "--format", "json").stdout)
    areas = {a["name"]: a for a in report["memory_map"]["areas"]}
    assert areas["crashkernel region"]["start"] == 16 << 20 and areas["crashkernel region"]["size"] == 64 << 20
    assert areas["capture kernel (vmlinux PT_LOAD)"]["start"] == 0x100000
    assert report["memory_map"]["conflicts"]


@requires_corpus("image")
def test_real_debian_bzimage_checks_without_false_alarms(tmp_path: Path) -> None:
    image, config = corpus_image(), corpus_image_config()
    assert image is not None and config is not None
    boot = BOOT.format(flavour="amd64")
    kexec = (f'kexec -p --command-line="{boot} reset_devices systemd.unit=kdump-tools-dump.service '
             f'nr_cpus=1 irqpoll usbcore.nousb" --initrd=/var/lib/kdump/initrd.img /var/lib/kdump/{image.name}')
    result = run_kcheck("check", "--system-config", str(config), "--system-image", str(image),
                        "--cmdline", f"{boot} crashkernel=384M-:128M", "--memory", "16G", "--kexec", kexec,
                        "--format", "json", "--fail-on", "info")
    report = json.loads(result.stdout)
    loud = [f for f in report["findings"] if f["severity"] != "info"]
    assert loud == [], loud
    assert report["inputs"]["capture"]["image"]["format"] == "bzImage"
    needed = report["memory_map"]["needed"]
    assert 0x3F98000 < needed <= 128 << 20  # init_size 63.6M plus kexec's data, inside 128M
    # the same image with a region too small for it
    small = run_kcheck("check", "--system-config", str(config), "--system-image", str(image),
                       "--cmdline", f"{boot} crashkernel=64M", "--kexec", kexec, "--format", "json")
    assert "KI010" in {f["rule"] for f in json.loads(small.stdout)["findings"]}
