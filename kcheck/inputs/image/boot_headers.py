"""Fixed-offset boot headers: arm64 and RISC-V Image, arm zImage, uImage, EFI zboot.

Each is a handful of little- (or, for uImage, big-) endian words at known
offsets of the first 4 KiB, so everything here works on the file's head.
"""

from __future__ import annotations

from typing import Literal

from kcheck.domain.errors import InputError
from kcheck.inputs.image.model import (
    Arm64Header,
    ArmZImageHeader,
    Compression,
    RiscvHeader,
    UImageHeader,
    ZbootHeader,
)

ARM64_MAGIC = b"ARM\x64"  # at 0x38, arch/arm64/include/asm/image.h
RISCV_MAGIC2 = b"RSC\x05"  # at 0x38, arch/riscv/include/asm/image.h
ZIMAGE_MAGIC = 0x016F2818  # at 0x24, arch/arm/boot/compressed/head.S
UIMAGE_MAGIC = 0x27051956  # at 0, big-endian, u-boot include/image.h
UIMAGE_HEADER_SIZE = 64


def _le(buf: bytes, offset: int, size: int) -> int:
    return int.from_bytes(buf[offset : offset + size], "little")


def is_arm64_image(head: bytes) -> bool:
    return head[0x38:0x3C] == ARM64_MAGIC


def is_riscv_image(head: bytes) -> bool:
    return head[0x38:0x3C] == RISCV_MAGIC2


def is_zimage(head: bytes) -> bool:
    return len(head) >= 0x28 and ZIMAGE_MAGIC in (_le(head, 0x24, 4), int.from_bytes(head[0x24:0x28], "big"))


def is_uimage(head: bytes) -> bool:
    return int.from_bytes(head[0:4], "big") == UIMAGE_MAGIC


def is_efi_zboot(head: bytes) -> bool:
    return head[0:2] == b"MZ" and head[4:8] == b"zimg"


def _need(path: str, head: bytes, size: int, what: str) -> None:
    if len(head) < size:
        raise InputError(path, f"truncated {what} header ({len(head)} of {size} bytes)")


def parse_arm64(path: str, head: bytes) -> Arm64Header:
    """Documentation/arm64/booting.rst: text_offset 0x08, image_size 0x10, flags 0x18."""
    _need(path, head, 0x40, "arm64 Image")
    flags = _le(head, 0x18, 8)
    page_bits = (flags >> 1) & 3
    return Arm64Header(
        text_offset=_le(head, 0x08, 8),
        image_size=_le(head, 0x10, 8),
        flags=flags,
        big_endian=bool(flags & 1),
        page_size={1: 4096, 2: 16384, 3: 65536}.get(page_bits),
        phys_placement_anywhere=bool(flags & 8),
    )


def parse_riscv(path: str, head: bytes) -> RiscvHeader:
    """Documentation/riscv/boot-image-header.rst: same layout, version at 0x20."""
    _need(path, head, 0x40, "RISC-V Image")
    flags = _le(head, 0x18, 8)
    version = _le(head, 0x20, 4)
    return RiscvHeader(
        text_offset=_le(head, 0x08, 8),
        image_size=_le(head, 0x10, 8),
        flags=flags,
        big_endian=bool(flags & 1),
        header_version=(version >> 16, version & 0xFFFF),
    )


def parse_zimage(path: str, head: bytes) -> ArmZImageHeader:
    """head.S: magic, _magic_start, _magic_end, then the 0x04030201 endianness word."""
    _need(path, head, 0x34, "arm zImage")
    big = _le(head, 0x24, 4) != ZIMAGE_MAGIC
    order: Literal["little", "big"] = "big" if big else "little"
    return ArmZImageHeader(
        start=int.from_bytes(head[0x28:0x2C], order),
        end=int.from_bytes(head[0x2C:0x30], order),
        big_endian=big,
    )


# IH_ARCH_* values whose Linux arch name is unambiguous (u-boot include/image.h).
_UIMAGE_ARCH = {2: "arm", 3: "i386", 22: "arm64", 24: "x86_64"}

# IH_COMP_* (u-boot include/image.h).
UIMAGE_COMPRESSION: dict[int, Compression | None] = {
    0: None,
    1: Compression.GZIP,
    2: Compression.BZIP2,
    3: Compression.LZMA,
    4: Compression.LZO,
    5: Compression.LZ4_FRAME,  # u-boot's lz4 is the frame format
    6: Compression.ZSTD,
}


def parse_uimage(path: str, head: bytes) -> UImageHeader:
    """The 64-byte big-endian image_header_t."""
    _need(path, head, UIMAGE_HEADER_SIZE, "uImage")

    def be(offset: int) -> int:
        return int.from_bytes(head[offset : offset + 4], "big")

    return UImageHeader(
        name=head[32:64].split(b"\x00", 1)[0].decode("ascii", "replace"),
        data_size=be(12),
        load_address=be(16),
        entry_point=be(20),
        os=head[28],
        arch=head[29],
        image_type=head[30],
        compression=head[31],
    )


def uimage_arch(header: UImageHeader) -> str | None:
    return _UIMAGE_ARCH.get(header.arch)


# PE IMAGE_FILE_MACHINE_* -> arch, for EFI zboot images.
_PE_MACHINE = {0xAA64: "arm64", 0x5064: "riscv64", 0x01C2: "arm", 0x01C4: "arm", 0x8664: "x86_64", 0x014C: "i386"}

# zboot COMP_TYPE strings (drivers/firmware/efi/libstub/Makefile.zboot).
_ZBOOT_COMP = {
    "gzip": Compression.GZIP,
    "lz4": Compression.LZ4,
    "lzma": Compression.LZMA,
    "lzo": Compression.LZO,
    "xzkern": Compression.XZ,
    "xz": Compression.XZ,
    "zstd22": Compression.ZSTD,
    "zstd": Compression.ZSTD,
    "bzip2": Compression.BZIP2,
}


def parse_zboot(path: str, head: bytes) -> ZbootHeader:
    """zboot-header.S: "MZ", "zimg", payload offset, payload size, 2 words, COMP_TYPE."""
    _need(path, head, 0x40, "EFI zboot")
    pe_offset = _le(head, 0x3C, 4)
    pe_machine = None
    if pe_offset + 6 <= len(head) and head[pe_offset : pe_offset + 4] == b"PE\x00\x00":
        pe_machine = _le(head, pe_offset + 4, 2)
    return ZbootHeader(
        payload_offset=_le(head, 0x08, 4),
        payload_size=_le(head, 0x0C, 4),
        compression_name=head[0x18:0x38].split(b"\x00", 1)[0].decode("ascii", "replace"),
        pe_machine=pe_machine,
    )


def zboot_arch(header: ZbootHeader) -> str | None:
    return None if header.pe_machine is None else _PE_MACHINE.get(header.pe_machine)


def zboot_compression(header: ZbootHeader) -> Compression | None:
    return _ZBOOT_COMP.get(header.compression_name)
