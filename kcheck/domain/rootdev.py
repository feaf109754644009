"""From ``root=`` and ``rootfstype=`` to what a kernel must have built in to mount root.

Without an initrd, the kernel mounts root itself (init/do_mounts.c,
``name_to_dev_t``/``early_lookup_bdev``): the disk's driver chain and the
file system must be built in (``=y``); a module cannot be loaded from a disk
not yet mounted.  Some names only user space can resolve (``UUID=``,
``LABEL=``, ``/dev/mapper/*``, ``/dev/disk/by-*``): they need an initrd
whatever is built in.  ``PARTUUID=`` the kernel resolves itself (2.6.37+),
but it says nothing about which driver the disk needs.

Pure kernel knowledge: no I/O.  A requirement is a list of alternatives, each
a set of symbols that must all be ``=y``; ``if_present`` requirements apply
only to kernels whose config has the symbol at all (kconfig writes every
visible symbol, so an absent one does not exist in that kernel).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kcheck.domain.records import record
from kcheck.domain.version import KernelVersion


@record
class Requirement:
    """One link of a driver chain: some alternative must be wholly ``=y``."""

    alternatives: tuple[tuple[str, ...], ...]
    what: str
    if_present: bool = False


@record
class RootDevice:
    """What ``root=`` names: the kind of device, and what mounting it needs."""

    spec: str
    kind: str
    what: str
    #: Why only an initrd can find it (None: the kernel can, with the chain built in).
    needs_initrd: str | None = None
    chain: tuple[Requirement, ...] = ()
    #: Why the driver the device needs cannot be known from its name (None: the chain says).
    unknown_driver: str | None = None
    #: The first kernel version without this kind of device (``/dev/hdX``: 5.14).
    gone_in: str | None = None


def _req(*alternatives: str | tuple[str, ...], what: str, if_present: bool = False) -> Requirement:
    alts = tuple((a,) if isinstance(a, str) else a for a in alternatives)
    return Requirement(alts, what, if_present)


_IDE = (_req("IDE", what="the ATA/IDE layer"),
        _req("BLK_DEV_IDE", what="the IDE driver", if_present=True),
        _req("BLK_DEV_IDEDISK", "IDE_GD_ATA", what="the IDE disk driver"))
_SCSI = (_req("SCSI", what="the SCSI layer"), _req("BLK_DEV_SD", what="the SCSI disk driver"))
_NVME = (_req("BLK_DEV_NVME", what="the NVMe driver"),)
_VIRTIO = (_req("VIRTIO_BLK", what="the virtio block driver"),
           _req("VIRTIO_PCI", "VIRTIO_MMIO", "VIRTIO_CCW", what="a virtio transport (PCI, MMIO or CCW)"))
_XEN = (_req("XEN_BLKDEV_FRONTEND", what="the Xen block front end"),)
_MMC = (_req("MMC", what="the MMC layer"), _req("MMC_BLOCK", what="the MMC block driver"))
_NFS = (_req("NFS_FS", what="the NFS client"), _req("ROOT_NFS", what="root on NFS"),
        _req("IP_PNP", what="kernel IP autoconfiguration"))
_HOST_ADAPTER = "the disk's host adapter driver (AHCI, PIIX, USB storage, virtio-scsi ...) must be built in too"

#: Block majors of the statically numbered disks (Documentation/admin-guide/devices.txt).
_MAJORS = {3: "ide", 22: "ide", 33: "ide", 34: "ide", 8: "scsi", 65: "scsi", 66: "scsi", 67: "scsi",
           68: "scsi", 69: "scsi", 70: "scsi", 71: "scsi", 9: "md", 202: "xen", 179: "mmc"}
_INITRD_ONLY = {
    "uuid": "a file system UUID is found by user space (blkid, udev) in an initrd; the kernel cannot",
    "label": "a file system label is found by user space (blkid, udev) in an initrd; the kernel cannot",
    "mapper": "device-mapper devices (LVM, LUKS, multipath) are set up by user space in an initrd",
    "by-path": "/dev/disk/by-* links are made by udev, which runs from an initrd",
    "md": "RAID arrays are assembled by mdadm in an initrd (in-kernel autodetection "
          "needs CONFIG_MD_AUTODETECT=y and 0.90 superblocks)",
}


def parse_root(spec: str, version: KernelVersion | None) -> RootDevice:
    """What the root device named ``spec`` (the value of ``root=``) is."""
    kind = _kind(spec)
    if kind in _INITRD_ONLY:
        return RootDevice(spec, kind, _WHAT[kind], needs_initrd=_INITRD_ONLY[kind])
    if kind == "partuuid" and version is not None and version < KernelVersion((2, 6, 37, 0)):
        return RootDevice(spec, kind, _WHAT[kind],
                          needs_initrd="the kernel reads root=PARTUUID= only from 2.6.37")
    if kind in _CHAINS:
        return RootDevice(spec, kind, _WHAT[kind], chain=_CHAINS[kind],
                          unknown_driver=_HOST_ADAPTER if kind == "scsi" else None,
                          gone_in="5.14" if kind == "ide" else None)
    reason = {"partuuid": "root=PARTUUID= names a partition, not the driver of its disk",
              "partlabel": "root=PARTLABEL= names a partition, not the driver of its disk"}.get(
        kind, f"root={spec} does not name a kind of disk kcheck knows")
    return RootDevice(spec, kind, _WHAT.get(kind, "root device"), unknown_driver=reason)


_WHAT = {"ide": "IDE disk", "scsi": "SCSI, SATA or USB disk", "nvme": "NVMe disk", "virtio": "virtio disk",
         "xen": "Xen virtual disk", "mmc": "MMC/SD card", "nfs": "NFS root", "uuid": "file system UUID",
         "label": "file system label", "mapper": "device-mapper device", "by-path": "udev link",
         "md": "software RAID array", "partuuid": "partition UUID", "partlabel": "partition label"}
_CHAINS = {"ide": _IDE, "scsi": _SCSI, "nvme": _NVME, "virtio": _VIRTIO, "xen": _XEN, "mmc": _MMC, "nfs": _NFS}
_PATTERNS = (
    (re.compile(r"UUID=", re.I), "uuid"),
    (re.compile(r"LABEL=", re.I), "label"),
    (re.compile(r"PARTUUID=", re.I), "partuuid"),
    (re.compile(r"PARTLABEL=", re.I), "partlabel"),
    (re.compile(r"/dev/mapper/|/dev/dm-\d"), "mapper"),
    (re.compile(r"/dev/disk/"), "by-path"),
    (re.compile(r"/dev/md(\d|/|_)"), "md"),
    (re.compile(r"/dev/hd[a-t]"), "ide"),
    (re.compile(r"/dev/sd[a-z]"), "scsi"),
    (re.compile(r"/dev/nvme\d"), "nvme"),
    (re.compile(r"/dev/vd[a-z]"), "virtio"),
    (re.compile(r"/dev/xvd[a-z]"), "xen"),
    (re.compile(r"/dev/mmcblk\d"), "mmc"),
    (re.compile(r"/dev/nfs$"), "nfs"),
)
_MAJOR_MINOR = re.compile(r"(\d+):(\d+)$")
_HEX = re.compile(r"[0-9a-fA-F]{3,4}$")


def _kind(spec: str) -> str:
    # PARTUUID= before UUID=: test the longer prefixes by matching at the start only.
    for prefix, kind in (("PARTUUID=", "partuuid"), ("PARTLABEL=", "partlabel")):
        if spec.upper().startswith(prefix):
            return kind
    for pattern, kind in _PATTERNS:
        if pattern.match(spec):
            return kind
    major = _major(spec)
    return _MAJORS.get(major, "unknown") if major is not None else "unknown"


def _major(spec: str) -> int | None:
    """``8:1`` (decimal major:minor) or ``0801`` (hex, major in the high byte), as do_mounts reads them."""
    pair = _MAJOR_MINOR.match(spec)
    if pair:
        return int(pair.group(1))
    if _HEX.match(spec):
        return int(spec, 16) >> 8
    return None


#: rootfstype= -> the alternatives that register that file system type.
FILESYSTEMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ext2": (("EXT2_FS",), ("EXT4_FS", "EXT4_USE_FOR_EXT2")),
    "ext3": (("EXT3_FS",), ("EXT4_FS",)),
    "ext4": (("EXT4_FS",),),
    "xfs": (("XFS_FS",),),
    "btrfs": (("BTRFS_FS",),),
    "jfs": (("JFS_FS",),),
    "reiserfs": (("REISERFS_FS",),),
    "f2fs": (("F2FS_FS",),),
    "vfat": (("VFAT_FS",),),
    "squashfs": (("SQUASHFS",),),
    "erofs": (("EROFS_FS",),),
    "cramfs": (("CRAMFS",),),
    "ubifs": (("UBIFS_FS",),),
    "nfs": (("NFS_FS",),),
}


def missing(chain: tuple[Requirement, ...], get: Callable[[str], str | None]) -> list[str]:
    """The links of ``chain`` not built in, each as ``CONFIG_X=y (what it is; it is m)``.

    Only the alternatives this kernel has are named (IDE_GD_ATA replaced
    BLK_DEV_IDEDISK; a 2.6.13 config has only the latter), unless it has none.
    """
    out: list[str] = []
    for requirement in chain:
        present = [a for a in requirement.alternatives if any(get(s) is not None for s in a)]
        if requirement.if_present and not present:
            continue
        if any(all(get(s) == "y" for s in alternative) for alternative in requirement.alternatives):
            continue
        named = present or list(requirement.alternatives)
        wanted = " or ".join(" and ".join(f"CONFIG_{s}=y" for s in alternative) for alternative in named)
        now = ", ".join(f"CONFIG_{s}={_shown(get(s))}" for alternative in named for s in alternative
                        if get(s) != "y")
        out.append(f"{wanted} ({requirement.what}; now {now})")
    return out


def _shown(value: str | None) -> str:
    return "n" if value in (None, "", "n") else value
