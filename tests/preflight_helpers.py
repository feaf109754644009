"""Build the small files the pre-flight tests and host fixtures need.

``bzimage_header`` writes the x86 boot sector and setup header of a bzImage
(Documentation/x86/boot.rst) without any kernel behind it: the pre-flight
size checks read only ``init_size``.  The default field values are those of
Debian's linux-image-6.1.0-56-amd64 (6.1.192-2) vmlinuz, measured from the
real file: protocol 2.15, init_size 0x3f98000, kernel_alignment 2M,
relocatable, xloadflags 0x7f, pref_address 16M.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

DEBIAN_61_INIT_SIZE = 0x3F98000


def bzimage_header(init_size: int = DEBIAN_61_INIT_SIZE, *, version: int = 0x020F,
                   setup_sects: int = 7) -> bytes:
    """``(setup_sects + 1) * 512`` bytes: boot sector and setup header only."""
    data = bytearray((setup_sects + 1) * 512)
    data[0:2] = b"MZ"
    data[0x1F1] = setup_sects
    data[0x1FE:0x200] = b"\x55\xaa"
    struct.pack_into("<H", data, 0x206, version)
    data[0x202:0x206] = b"HdrS"
    data[0x211] = 0x01  # LOADED_HIGH
    struct.pack_into("<I", data, 0x230, 0x200000)  # kernel_alignment
    data[0x234] = 1  # relocatable_kernel
    struct.pack_into("<H", data, 0x236, 0x7F)  # xloadflags
    struct.pack_into("<I", data, 0x238, 0x7FF)  # cmdline_size
    struct.pack_into("<Q", data, 0x258, 0x1000000)  # pref_address
    struct.pack_into("<I", data, 0x260, init_size)
    return bytes(data)


def newc_cpio(names: tuple[str, ...] = ("init",)) -> bytes:
    """A tiny initramfs in the kernel's "newc" cpio format (empty files, then the trailer)."""
    out = bytearray()
    for ino, name in enumerate((*names, "TRAILER!!!"), start=1):
        encoded = name.encode() + b"\0"
        mode = 0o100755 if name != "TRAILER!!!" else 0
        fields = [ino if mode else 0, mode, 0, 0, 1, 0, 0, 0, 0, 0, 0, len(encoded), 0]
        header = b"070701" + b"".join(f"{value:08X}".encode() for value in fields)
        out += header + encoded
        out += b"\0" * (-len(out) % 4)
    return bytes(out + b"\0" * (-len(out) % 512))


def copy_tree(source: Path, target: Path) -> Path:
    """Copy a fixture host tree, keeping its symlinks as links."""
    shutil.copytree(source, target, symlinks=True)
    return target
