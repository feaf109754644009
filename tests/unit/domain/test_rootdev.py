"""root= to the kind of device and the driver chain it needs (kcheck.domain.rootdev)."""

from __future__ import annotations

import pytest

from kcheck.domain.kexec import default_syscall, parse_kexec
from kcheck.domain.rootdev import parse_root, missing
from kcheck.domain.version import KernelVersion

V2613 = KernelVersion.parse("2.6.13")
V61 = KernelVersion.parse("6.1")


@pytest.mark.parametrize(("spec", "kind", "initrd"), [
    ("/dev/hda1", "ide", False), ("/dev/hdc", "ide", False), ("/dev/sda2", "scsi", False),
    ("/dev/nvme0n1p1", "nvme", False), ("/dev/vda1", "virtio", False), ("/dev/xvda1", "xen", False),
    ("/dev/mmcblk0p2", "mmc", False), ("/dev/nfs", "nfs", False),
    ("/dev/mapper/vg0-root", "mapper", True), ("/dev/dm-0", "mapper", True), ("/dev/md0", "md", True),
    ("/dev/md/root", "md", True), ("UUID=5b1c", "uuid", True), ("LABEL=root", "label", True),
    ("/dev/disk/by-uuid/5b1c", "by-path", True), ("PARTUUID=0c2a-01", "partuuid", False),
    ("partuuid=0c2a-01", "partuuid", False), ("PARTLABEL=root", "partlabel", False),
    ("8:1", "scsi", False), ("0301", "ide", False), ("202:1", "xen", False), ("/dev/root", "unknown", False),
])
def test_root_device_kinds(spec: str, kind: str, initrd: bool) -> None:
    device = parse_root(spec, V61)
    assert device.kind == kind
    assert (device.needs_initrd is not None) is initrd


def test_partuuid_needs_an_initrd_before_2_6_37() -> None:
    assert "2.6.37" in (parse_root("PARTUUID=0c2a-01", V2613).needs_initrd or "")
    assert parse_root("PARTUUID=0c2a-01", KernelVersion.parse("2.6.37")).needs_initrd is None


def test_chain_names_only_the_symbols_this_kernel_has() -> None:
    chain = parse_root("/dev/hda1", V2613).chain
    config = {"IDE": "y", "BLK_DEV_IDE": "y", "BLK_DEV_IDEDISK": "m"}
    assert missing(chain, config.get) == [
        "CONFIG_BLK_DEV_IDEDISK=y (the IDE disk driver; now CONFIG_BLK_DEV_IDEDISK=m)"]
    # 2.6.28+ spelled the disk driver IDE_GD_ATA and had no BLK_DEV_IDE: both are accepted
    assert missing(chain, {"IDE": "y", "IDE_GD_ATA": "y"}.get) == []
    assert missing(chain, {"IDE": "y", "BLK_DEV_IDE": "y", "BLK_DEV_IDEDISK": "y"}.get) == []


def test_virtio_needs_a_transport_of_any_kind() -> None:
    chain = parse_root("/dev/vda", V61).chain
    assert missing(chain, {"VIRTIO_BLK": "y", "VIRTIO_CCW": "y"}.get) == []
    assert "a virtio transport" in missing(chain, {"VIRTIO_BLK": "y", "VIRTIO_PCI": "m"}.get)[0]


@pytest.mark.parametrize(("command", "choice"), [
    ("kexec -p vmlinuz", None), ("kexec -p -s vmlinuz", "kexec_file_load"), ("kexec -p -c vmlinuz", "kexec_load"),
    ("kexec -p -a vmlinuz", "auto"), ("kexec -p -s -c vmlinuz", "kexec_load"), ("kexec -pc vmlinuz", "kexec_load"),
    ("kexec -p --kexec-syscall-auto vmlinuz", "auto"), ("kexec -p --kexec-file-syscall vmlinuz", "kexec_file_load"),
])
def test_syscall_choice_last_option_wins(command: str, choice: str | None) -> None:
    assert parse_kexec(command).syscall == choice


@pytest.mark.parametrize(("version", "default"), [
    ("2.0.25", "kexec_load"), ("2.0.26", "kexec_load"), ("2.0.27", "auto"), ("2.0.32", "auto"), (None, None),
    ("unknown", None),
])
def test_default_syscall_by_kexec_tools_release(version: str | None, default: str | None) -> None:
    assert default_syscall(version) == default
