"""Non-x86 formats: arm64/RISC-V Image, arm zImage, uImage, EFI zboot, bare compressed files."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import pytest
from image_build import CONFIG_TEXT, arm64_image, compress, put, size_append

from kcheck.domain.errors import InputError
from kcheck.inputs.image import Compression, ImageFormat, extract_ikconfig, identify, read_image

BLOB = b"IKCFG_ST" + gzip.compress(CONFIG_TEXT, mtime=0) + b"IKCFG_ED"


def _write(tmp_path: Path, data: bytes, name: str = "vmlinuz") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_arm64_image_header(tmp_path: Path) -> None:
    path = _write(tmp_path, arm64_image(text_offset=0, image_size=0x2A50000, flags=0b1010) + BLOB, "Image")
    assert identify(path) is ImageFormat.ARM64_IMAGE
    image = read_image(path)
    assert image.arch == "arm64" and image.efi_stub
    header = image.arm64_header
    assert header is not None
    assert (header.text_offset, header.image_size) == (0, 0x2A50000)
    assert header.big_endian is False
    assert header.page_size == 4096  # bits 1-2 == 1
    assert header.phys_placement_anywhere is True  # bit 3
    # An uncompressed Image carries the blob as is.
    assert extract_ikconfig(path) == CONFIG_TEXT


def test_arm64_pre_317_header_and_64k_big_endian(tmp_path: Path) -> None:
    header = read_image(_write(tmp_path, arm64_image(text_offset=0x80000, image_size=0, flags=0b0111))).arm64_header
    assert header is not None
    assert header.text_offset == 0x80000 and header.image_size == 0
    assert header.big_endian and header.page_size == 65536 and not header.phys_placement_anywhere


def test_riscv_image_header(tmp_path: Path) -> None:
    head = bytearray(0x1000)
    put(head, 0x08, 8, 0x200000)
    put(head, 0x10, 8, 0x1400000)
    put(head, 0x20, 4, 0x2)  # header version 0.2
    head[0x30:0x38] = b"RISCV\x00\x00\x00"
    head[0x38:0x3C] = b"RSC\x05"
    image = read_image(_write(tmp_path, bytes(head), "Image"))
    assert image.format is ImageFormat.RISCV_IMAGE and image.arch == "riscv64"
    assert image.riscv_header is not None
    assert image.riscv_header.text_offset == 0x200000
    assert image.riscv_header.image_size == 0x1400000
    assert image.riscv_header.header_version == (0, 2)


def _zimage(payload: bytes) -> bytes:
    """arch/arm/boot/compressed/head.S: 9 nops + branch, then the magic table at 0x24."""
    head = bytearray(0x200)
    put(head, 0x24, 4, 0x016F2818)
    put(head, 0x28, 4, 0)
    put(head, 0x2C, 4, 0x200 + len(payload))
    put(head, 0x30, 4, 0x04030201)
    # a false gzip magic in the decompressor code, as real zImages have
    head[0x100:0x108] = b"\x1f\x8b\x08\x00garb"
    return bytes(head) + payload


def test_arm_zimage_and_ikconfig_by_scanning(tmp_path: Path) -> None:
    kernel = b"\x7fELF" + bytes(5000) + BLOB + bytes(100)
    path = _write(tmp_path, _zimage(size_append(compress(kernel, "gzip"), len(kernel)) + bytes(64)), "zImage")
    assert identify(path) is ImageFormat.ARM_ZIMAGE
    image = read_image(path)
    assert image.arch == "arm" and image.zimage_header is not None
    assert image.zimage_header.big_endian is False and image.zimage_header.start == 0
    assert extract_ikconfig(path) == CONFIG_TEXT


def test_arm_zimage_without_config(tmp_path: Path) -> None:
    kernel = b"\x7fELF" + bytes(5000)
    path = _write(tmp_path, _zimage(compress(kernel, "xz")), "zImage")
    assert extract_ikconfig(path) is None


def _uimage(payload: bytes, comp: int, arch: int = 22, name: bytes = b"Linux-6.1.0-test") -> bytes:
    """u-boot include/image.h image_header_t, with real CRCs as mkimage writes them."""
    header = bytearray(struct.pack(">7I4B32s", 0x27051956, 0, 0, len(payload), 0x80008000, 0x80008000,
                                   zlib.crc32(payload), 5, arch, 2, comp, name))
    struct.pack_into(">I", header, 4, zlib.crc32(bytes(header)))
    return bytes(header) + payload


def test_uimage_gzip(tmp_path: Path) -> None:
    kernel = arm64_image() + BLOB
    path = _write(tmp_path, _uimage(compress(kernel, "gzip"), comp=1), "uImage")
    assert identify(path) is ImageFormat.UIMAGE
    image = read_image(path)
    assert image.arch == "arm64" and image.compression is Compression.GZIP
    assert image.uimage_header is not None and image.uimage_header.name == "Linux-6.1.0-test"
    assert image.uimage_header.load_address == 0x80008000 and image.uimage_header.image_type == 2
    assert image.release == "6.1.0-test"
    assert extract_ikconfig(path) == CONFIG_TEXT


def test_uimage_uncompressed_zimage_inside(tmp_path: Path) -> None:
    kernel = b"\x7fELF" + bytes(3000) + BLOB
    inner = _zimage(size_append(compress(kernel, "lzma"), len(kernel)))
    path = _write(tmp_path, _uimage(inner, comp=0, arch=2), "uImage")
    image = read_image(path)
    assert image.arch == "arm" and image.compression is None
    assert extract_ikconfig(path) == CONFIG_TEXT


def test_uimage_payload_past_the_end(tmp_path: Path) -> None:
    data = _uimage(compress(b"x" * 1000, "gzip"), comp=1)
    path = _write(tmp_path, data[:-10], "uImage")
    with pytest.raises(InputError, match="uImage payload .* runs past the end"):
        read_image(path)


def _zboot(payload: bytes, comp: bytes) -> bytes:
    """drivers/firmware/efi/libstub/zboot-header.S."""
    head = bytearray(0x200)
    head[0:2] = b"MZ"
    head[4:8] = b"zimg"
    put(head, 0x08, 4, len(head))
    put(head, 0x0C, 4, len(payload))
    head[0x18 : 0x18 + len(comp)] = comp
    put(head, 0x3C, 4, 0x40)
    head[0x40:0x44] = b"PE\x00\x00"
    put(head, 0x44, 2, 0xAA64)
    return bytes(head) + payload + bytes(0x200)


@pytest.mark.parametrize(("comp", "kind", "expected"), [
    (b"gzip", "gzip", Compression.GZIP),
    (b"zstd22", "zstd", Compression.ZSTD),
])
def test_efi_zboot(tmp_path: Path, comp: bytes, kind: str, expected: Compression) -> None:
    kernel = arm64_image() + BLOB
    path = _write(tmp_path, _zboot(size_append(compress(kernel, kind), len(kernel)), comp))
    assert identify(path) is ImageFormat.EFI_ZBOOT
    image = read_image(path)
    assert image.arch == "arm64" and image.efi_stub and image.compression is expected
    assert image.zboot_header is not None and image.zboot_header.compression_name == comp.decode()
    assert extract_ikconfig(path) == CONFIG_TEXT


@pytest.mark.parametrize(("kind", "expected"), [
    ("gzip", Compression.GZIP), ("xz", Compression.XZ), ("bzip2", Compression.BZIP2),
    ("lzma", Compression.LZMA), ("zstd", Compression.ZSTD), ("lz4", Compression.LZ4),
    ("lz4-frame", Compression.LZ4_FRAME),
])
def test_bare_compressed_image(tmp_path: Path, kind: str, expected: Compression) -> None:
    kernel = arm64_image() + BLOB + bytes(10000)
    path = _write(tmp_path, compress(kernel, kind), "vmlinuz")
    assert identify(path) is ImageFormat.COMPRESSED
    image = read_image(path)
    assert image.compression is expected and image.arch is None
    assert extract_ikconfig(path) == CONFIG_TEXT


def test_lzo_payload_is_reported_not_crashed(tmp_path: Path) -> None:
    path = _write(tmp_path, b"\x89LZO\x00\r\n\x1a\n" + bytes(200))
    assert read_image(path).compression is Compression.LZO
    with pytest.raises(InputError, match="cannot decompress lzo"):
        extract_ikconfig(path)


def test_missing_library_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard -> ImportError
    path = _write(tmp_path, compress(b"kernel" * 100, "zstd"))
    with pytest.raises(InputError, match=r"needs the 'zstandard' Python package"):
        extract_ikconfig(path)


def test_many_stray_markers(tmp_path: Path) -> None:
    """Thousands of "IKCFG_ST" strings that are not the blob do not slow or break the search."""
    kernel = arm64_image() + b"IKCFG_ST\x00" * 20000 + BLOB
    path = _write(tmp_path, compress(kernel, "gzip"))
    assert extract_ikconfig(path) == CONFIG_TEXT
    path = _write(tmp_path, compress(arm64_image() + b"IKCFG_ST" * 20000, "gzip"), "none")
    assert extract_ikconfig(path) is None


def test_arm64_footprint_is_image_size(tmp_path: Path) -> None:
    """kcheck check and preflight size an arm64 Image alike: its header's image_size, page-aligned."""
    from kcheck.facts.image import footprint
    from kcheck.inputs.imagesize import image_memory

    data = arm64_image(image_size=0x2A50001) + BLOB
    image = read_image(_write(tmp_path, data, "Image"))
    assert footprint(image) == 0x2A51000 == image_memory(data[:4096], len(data)).size
