"""Bad input to kcheck rehearse: one `kcheck: error:` line and exit status 2, and no VM started."""

from __future__ import annotations

import gzip
import os
import shutil
import stat

import pytest

from rehearse_helpers import KEXEC, debian_image

CMDLINE = "root=/dev/sda1 ro crashkernel=256M"


def _image() -> str:
    image = debian_image()
    if image is None:
        pytest.skip("Debian's 6.1 amd64 kernel image is not in the corpus (run .ci/fetch-corpus)")
    return str(image)


def _one_error(result, *words: str) -> None:
    assert result.returncode == 2, result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kcheck: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_missing_qemu(kcheck, tmp_path):
    result = kcheck("rehearse", "--system-image", _image(), "--cmdline", CMDLINE, "--kexec", KEXEC,
                    "--qemu", str(tmp_path / "no-such-qemu"))
    _one_error(result, "no-such-qemu", "QEMU not found")


def test_qemu_not_executable(kcheck, tmp_path):
    fake = tmp_path / "qemu-system-x86_64"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(stat.S_IRUSR | stat.S_IWUSR)
    result = kcheck("rehearse", "--system-image", _image(), "--cmdline", CMDLINE, "--kexec", KEXEC,
                    "--qemu", str(fake))
    _one_error(result, "not an executable")


def test_qemu_on_path_missing(kcheck, tmp_path):
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(tmp_path)
    try:
        result = kcheck("rehearse", "--system-image", _image(), "--cmdline", CMDLINE, "--kexec", KEXEC)
    finally:
        os.environ["PATH"] = env_path
    _one_error(result, "qemu-system-x86_64")


def test_image_that_is_not_a_kernel(kcheck, tmp_path):
    junk = tmp_path / "vmlinuz"
    junk.write_bytes(os.urandom(4096))
    result = kcheck("rehearse", "--system-image", str(junk), "--cmdline", CMDLINE, "--kexec", KEXEC)
    _one_error(result, str(junk), "not a kernel image")


def test_capture_image_that_is_not_a_kernel(kcheck, tmp_path):
    junk = tmp_path / "capture"
    junk.write_text("hello\n")
    result = kcheck("rehearse", "--system-image", _image(), "--capture-image", str(junk),
                    "--cmdline", CMDLINE, "--kexec", KEXEC)
    _one_error(result, str(junk))


@pytest.mark.parametrize("content", [os.urandom(8192), gzip.compress(b"no cpio in here\n" * 100), b""])
def test_garbage_initrd(kcheck, tmp_path, content):
    initrd = tmp_path / "initrd.img"
    initrd.write_bytes(content)
    before = initrd.read_bytes()
    result = kcheck("rehearse", "--system-image", _image(), "--cmdline", CMDLINE, "--kexec", KEXEC,
                    "--capture-initrd", str(initrd), "--overlay-probe")
    _one_error(result, str(initrd), "initr")
    assert initrd.read_bytes() == before


@pytest.mark.parametrize("command", ["rm -rf /boot", "kexe -p /boot/vmlinuz", "'unterminated"])
def test_command_that_is_not_kexec(kcheck, command):
    result = kcheck("rehearse", "--system-image", _image(), "--cmdline", CMDLINE, "--kexec", command)
    _one_error(result, "--kexec")


def test_no_system_image(kcheck):
    result = kcheck("rehearse", "--cmdline", CMDLINE, "--kexec", KEXEC)
    _one_error(result, "--system-image")


def test_own_initrd_needs_a_success_pattern(kcheck, tmp_path):
    result = kcheck("rehearse", "--system-image", _image(), "--cmdline", CMDLINE, "--kexec", KEXEC,
                    "--capture-initrd", str(tmp_path / "x"))
    _one_error(result, "--success-pattern")


def test_vm_memory_out_of_range(kcheck):
    result = kcheck("rehearse", "--system-image", _image(), "--cmdline", CMDLINE, "--kexec", KEXEC,
                    "--vm-memory", "16M")
    _one_error(result, "--vm-memory")


def test_host_programs_for_an_i386_vm(kcheck, tmp_path):
    from rehearse_helpers import i386_parts, missing_i386_parts

    if missing_i386_parts() is not None or shutil.which("kexec") is None and not os.path.exists("/sbin/kexec"):
        pytest.skip(missing_i386_parts() or "kexec not installed (.ci/setup-host installs kexec-tools)")
    image = str(i386_parts() / "vmlinuz-6.1-686")
    result = kcheck("rehearse", "--system-image", image, "--cmdline", CMDLINE, "--kexec", KEXEC)
    _one_error(result, "EM_X86_64", "i386 VM cannot run", "--guest-root")
    result = kcheck("rehearse", "--system-image", image, "--cmdline", CMDLINE, "--kexec", KEXEC,
                    "--guest-root", str(tmp_path / "nowhere"))
    _one_error(result, "nowhere", "not a directory")
    result = kcheck("rehearse", "--system-image", image, "--cmdline", CMDLINE, "--kexec", KEXEC,
                    "--guest-root", str(tmp_path))
    _one_error(result, "busybox not found", "fetch-rehearse-parts")


def test_arm64_image_mismatches_stop_before_any_vm(kcheck, tmp_path):
    """An x86 capture kernel for an arm64 system kernel, a gzip'd Image: one error line, no VM."""
    from rehearse_helpers import arm64_parts, missing_arm64_parts

    if missing_arm64_parts() is not None:
        pytest.skip(missing_arm64_parts())
    image = str(arm64_parts() / "vmlinuz-6.1-arm64")
    result = kcheck("rehearse", "--system-image", image, "--capture-image", _image(), "--cmdline", CMDLINE,
                    "--kexec", KEXEC, "--guest-root", str(arm64_parts() / "root"))
    _one_error(result, "x86_64 kernel cannot be kexec'd from the arm64 system kernel")
    packed = tmp_path / "vmlinuz.gz"
    with open(image, "rb") as source:
        packed.write_bytes(gzip.compress(source.read(1 << 16)))
    result = kcheck("rehearse", "--system-image", str(packed), "--cmdline", CMDLINE, "--kexec", KEXEC)
    _one_error(result, str(packed), "an x86 bzImage or an arm64 Image", "compressed")
