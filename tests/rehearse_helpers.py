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
