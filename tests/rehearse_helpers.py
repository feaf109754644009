"""Shared by the rehearsal tests: the real parts a rehearsal needs, and why a test skips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from corpus import _IMAGE_CONFIG_NAME, _IMAGE_NAME, _part

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "rehearse-report.schema.json").read_text())
KEXEC = "kexec -p /boot/vmlinuz --initrd=/boot/initrd.img --append='root=/dev/sda1 1 irqpoll nr_cpus=1 reset_devices'"


def debian_image() -> Path | None:
    part = _part("images")
    return part / _IMAGE_NAME if part is not None and (part / _IMAGE_NAME).is_file() else None


def debian_config() -> Path | None:
    part = _part("images")
    return part / _IMAGE_CONFIG_NAME if part is not None and (part / _IMAGE_CONFIG_NAME).is_file() else None


def missing_parts() -> str | None:
    """Why a rehearsal cannot run here, or None."""
    for tool, package in (("qemu-system-x86_64", "qemu-system-x86"), ("kexec", "kexec-tools"),
                          ("busybox", "busybox-static"), ("makedumpfile", "makedumpfile")):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists() and not Path("/sbin", tool).exists():
            return f"{tool} not installed (.ci/setup-host installs {package})"
    if debian_image() is None:
        return "Debian's 6.1 amd64 kernel image is not in the corpus (run .ci/fetch-corpus)"
    return None


requires_rehearsal = pytest.mark.skipif(missing_parts() is not None, reason=missing_parts() or "")


LANE_TOKEN = "lane"
#: what the probe built with LANE_TOKEN prints once makedumpfile has read the panic back
LANE_SUCCESS = f"@@kcheck:{LANE_TOKEN}:dmesg-readable yes"


def build_lane_probe(path: Path, padding: int = 0, root: str | None = None) -> Path:
    """kcheck's probe initrd (token LANE_TOKEN), after ``padding`` bytes of random data in its own archive.

    Given to rehearse as the user's initrd with --success-pattern LANE_SUCCESS, and named
    in the kexec command, so `kcheck check` reads the very file the capture kernel unpacks.
    With ``root`` (a --guest-root), its busybox and makedumpfile.
    """
    import gzip
    import os

    from kcheck.rehearse.cpio import CpioWriter
    from kcheck.rehearse.hosttools import collect, find_program
    from kcheck.rehearse.initramfs import write_probe

    makedumpfile = find_program("makedumpfile", root=root)
    with open(path, "wb") as out:
        if padding:
            with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0) as packed:
                writer = CpioWriter(packed)  # type: ignore[arg-type]
                writer.data("usr/share/padding", os.urandom(padding))
                writer.close()
        write_probe(out, token=LANE_TOKEN, busybox=find_program("busybox", root=root) or "busybox",
                    makedumpfile=collect("makedumpfile", makedumpfile, root) if makedumpfile else None)
    return path


def i386_parts() -> Path | None:
    """The i386 kernels and guest root .ci/fetch-rehearse-parts unpacks, when its stamp verifies."""
    from corpus import _root

    part = _root() / "rehearse-i386"
    wanted = ("SHA256SUMS", "vmlinuz-6.1-686", "vmlinuz-6.1-686-pae", "root/sbin/kexec", "root/bin/busybox")
    return part if all((part / name).exists() for name in wanted) else None


def missing_i386_parts() -> str | None:
    """Why an i386 rehearsal cannot run here, or None."""
    if shutil.which("qemu-system-i386") is None:
        return "qemu-system-i386 not installed (.ci/setup-host installs qemu-system-x86)"
    if i386_parts() is None:
        return "Debian's i386 kernels and programs are not in the corpus (run .ci/fetch-rehearse-parts i386)"
    return None


requires_i386_rehearsal = pytest.mark.skipif(missing_i386_parts() is not None, reason=missing_i386_parts() or "")


def arm64_parts() -> Path | None:
    """The arm64 kernels (Debian 12's 6.1 and 6.12) and guest root .ci/fetch-rehearse-parts unpacks."""
    from corpus import _root

    part = _root() / "rehearse-arm64"
    wanted = ("SHA256SUMS", "vmlinuz-6.1-arm64", "vmlinuz-6.12-arm64", "root/sbin/kexec", "root/bin/busybox")
    return part if all((part / name).exists() for name in wanted) else None


def missing_arm64_parts() -> str | None:
    """Why an arm64 rehearsal cannot run here, or None."""
    if shutil.which("qemu-system-aarch64") is None:
        return "qemu-system-aarch64 not installed (.ci/setup-host installs qemu-system-arm)"
    if arm64_parts() is None:
        return "Debian's arm64 kernels and programs are not in the corpus (run .ci/fetch-rehearse-parts arm64)"
    return None


requires_arm64_rehearsal = pytest.mark.skipif(missing_arm64_parts() is not None, reason=missing_arm64_parts() or "")
