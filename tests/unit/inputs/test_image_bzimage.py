"""x86 bzImage setup header, payload checks and IKCONFIG extraction from the payload."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest
from image_build import CONFIG_TEXT, build_bzimage, compress, link_vmlinux, size_append

from kcheck.domain.errors import InputError
from kcheck.inputs.image import Compression, ImageFormat, extract_ikconfig, identify, read_image

KINDS = {
    "gzip": Compression.GZIP,
    "xz": Compression.XZ,
    "bzip2": Compression.BZIP2,
    "lzma": Compression.LZMA,
    "zstd": Compression.ZSTD,
    "lz4": Compression.LZ4,
}


@pytest.fixture(scope="module")
def vmlinux_with_config(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("vmlinux")
    return link_vmlinux(tmp, ikconfig=CONFIG_TEXT, debug=False).read_bytes()


def _write(tmp_path: Path, data: bytes, name: str = "vmlinuz") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("mz", [False, True], ids=["plain", "efi-stub"])
def test_setup_header_fields(tmp_path: Path, mz: bool) -> None:
    payload = size_append(compress(b"\x7fELF" + bytes(4000), "gzip"), 4004)
    path = _write(tmp_path, build_bzimage(payload, mz=mz, setup_sects=27), "kernel.elf")
    assert identify(path) is ImageFormat.BZIMAGE  # the name says ELF; the bytes win
    image = read_image(path)
    setup = image.setup_header
    assert setup is not None
    assert image.efi_stub is mz
    assert image.arch == "x86_64"
    assert image.compression is Compression.GZIP
    assert image.release == "6.1.0-test-amd64"
    assert image.version is not None and image.version.startswith("6.1.0-test-amd64 (kcheck@tests)")
    assert image.decompressed_size == 4004
    assert setup.protocol == "2.15" and setup.version == 0x020F
    assert setup.setup_sects == 27
    assert setup.protected_mode_offset == 28 * 512
    assert setup.loadflag_names == ("LOADED_HIGH",)
    assert setup.relocatable_kernel is True
    assert setup.kernel_alignment == 0x200000 and setup.min_alignment == 21
    assert setup.xloadflags == 0x7F
    assert setup.xloadflag_names is not None and "KERNEL_64" in setup.xloadflag_names
    assert "CAN_BE_LOADED_ABOVE_4G" in setup.xloadflag_names
    assert setup.cmdline_size == 2047
    assert setup.pref_address == 0x1000000 and setup.init_size == 0x3F98000
    assert setup.payload_offset == 0x2CC and setup.payload_length == len(payload)
    assert setup.kernel_info_offset is not None and setup.handover_offset is not None


def test_setup_sects_zero_means_four(tmp_path: Path) -> None:
    payload = size_append(compress(bytes(100), "gzip"), 100)
    data = bytearray(build_bzimage(payload, setup_sects=4))
    data[0x1F1] = 0
    setup = read_image(_write(tmp_path, bytes(data))).setup_header
    assert setup is not None and setup.setup_sects == 4
    assert setup.payload_file_offset == 5 * 512 + 0x2CC


def test_32bit_kernel_from_xloadflags(tmp_path: Path) -> None:
    payload = size_append(compress(bytes(100), "gzip"), 100)
    image = read_image(_write(tmp_path, build_bzimage(payload, xloadflags=0x4, kernel_alignment=0x1000000)))
    assert image.arch == "i386"
    assert image.setup_header is not None
    assert image.setup_header.xloadflag_names == ("EFI_HANDOVER_32",)
    assert image.setup_header.min_alignment == 24


def test_protocol_204_has_no_newer_fields(tmp_path: Path) -> None:
    """A 2.04 header: bytes past 0x22F are setup code (0xCC here), not fields."""
    body = compress(bytes(5000), "gzip")
    path = _write(tmp_path, build_bzimage(body, protocol=0x0204))
    image = read_image(path)
    setup = image.setup_header
    assert setup is not None
    assert setup.protocol == "2.04"
    assert setup.syssize is not None and setup.initrd_addr_max == 0x7FFFFFFF
    for field in ("kernel_alignment", "relocatable_kernel", "min_alignment", "xloadflags",
                  "xloadflag_names", "cmdline_size", "payload_offset", "payload_length",
                  "pref_address", "init_size", "handover_offset", "kernel_info_offset"):
        assert getattr(setup, field) is None, field
    assert image.arch is None  # width is not recorded before 2.12
    assert image.compression is None and image.decompressed_size is None


def test_protocol_205_is_relocatable_but_has_no_payload_fields(tmp_path: Path) -> None:
    image = read_image(_write(tmp_path, build_bzimage(compress(bytes(10), "gzip"), protocol=0x0205)))
    setup = image.setup_header
    assert setup is not None
    assert setup.relocatable_kernel is True and setup.kernel_alignment == 0x200000
    assert setup.cmdline_size is None and setup.payload_offset is None and setup.min_alignment is None


def test_payload_past_the_end(tmp_path: Path) -> None:
    payload = size_append(compress(bytes(1000), "gzip"), 1000)
    path = _write(tmp_path, build_bzimage(payload, payload_length=10 << 20))
    with pytest.raises(InputError, match=r"payload at 0xccc \(\+10485760 bytes\) runs past the end"):
        read_image(path)
    with pytest.raises(InputError, match="past the end"):
        extract_ikconfig(path)


def test_truncated_setup_area(tmp_path: Path) -> None:
    data = build_bzimage(size_append(compress(bytes(10), "gzip"), 10), setup_sects=30)
    path = _write(tmp_path, data[: 10 * 512])
    with pytest.raises(InputError, match="truncated bzImage: 30 setup sectors"):
        read_image(path)


def test_zimage_loaded_low_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, build_bzimage(compress(bytes(10), "gzip"), loadflags=0))
    with pytest.raises(InputError, match="x86 zImage"):
        identify(path)


def test_unknown_payload_magic(tmp_path: Path) -> None:
    path = _write(tmp_path, build_bzimage(b"\x00" * 64))
    with pytest.raises(InputError, match="no known compression magic"):
        read_image(path)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("mz", [False, True], ids=["plain", "efi-stub"])
def test_ikconfig_from_compressed_payload(tmp_path: Path, vmlinux_with_config: bytes, kind: str,
                                          mz: bool) -> None:
    payload = size_append(compress(vmlinux_with_config, kind), len(vmlinux_with_config))
    path = _write(tmp_path, build_bzimage(payload, mz=mz))
    image = read_image(path)
    assert image.compression is KINDS[kind]
    assert image.decompressed_size == len(vmlinux_with_config)
    assert extract_ikconfig(path) == CONFIG_TEXT


@pytest.mark.parametrize("kind", ["gzip", "xz", "zstd"])
def test_no_ikconfig_in_payload(tmp_path: Path, kind: str) -> None:
    plain = link_vmlinux(tmp_path, ikconfig=None).read_bytes()
    path = _write(tmp_path, build_bzimage(size_append(compress(plain, kind), len(plain))))
    assert extract_ikconfig(path) is None


def test_old_protocol_payload_is_found_by_scanning(tmp_path: Path, vmlinux_with_config: bytes) -> None:
    """Before 2.08 the payload is not located: fall back to extract-ikconfig's scan."""
    path = _write(tmp_path, build_bzimage(compress(vmlinux_with_config, "gzip"), protocol=0x0204))
    assert extract_ikconfig(path) == CONFIG_TEXT


def test_truncated_payload_stream(tmp_path: Path, vmlinux_with_config: bytes) -> None:
    stream = compress(vmlinux_with_config + bytes(200_000), "xz")
    # payload_length claims only the first half of the stream
    path = _write(tmp_path, build_bzimage(stream[: len(stream) // 2], trailer=b""))
    with pytest.raises(InputError, match="truncated xz data in bzImage payload"):
        extract_ikconfig(path)


def gzip_bomb(mebibytes: int) -> bytes:
    """A valid single-member gzip file of ``mebibytes`` MiB of zeros, built in milliseconds.

    After Z_FULL_FLUSH the compressor forgets its history, so each further
    MiB of zeros compresses to the same bytes: compress two and repeat one.
    """
    import zlib

    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    first = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    end = comp.flush()  # empty final block; its trailer holds the crc of 2 MiB
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    trailer = crc.to_bytes(4, "little") + ((mebibytes << 20) & 0xFFFFFFFF).to_bytes(4, "little")
    return first + block * (mebibytes - 1) + end[:-8] + trailer


def test_gzip_bomb_helper_is_a_real_gzip_file() -> None:
    assert gzip.decompress(gzip_bomb(3)) == bytes(3 << 20)


def test_gzip_bomb_payload_hits_the_cap_quickly(tmp_path: Path) -> None:
    """A 2.5 MB gzip stream that inflates to 600 MiB: stopped at the 512 MiB cap."""
    bomb = gzip_bomb(600)
    assert len(bomb) < 3 << 20
    path = _write(tmp_path, build_bzimage(size_append(bomb, 0)))
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"bzImage payload decompresses to more than 536870912 bytes"):
        extract_ikconfig(path)
    assert time.perf_counter() - start < 20


def test_bare_gzip_bomb(tmp_path: Path) -> None:
    path = _write(tmp_path, gzip_bomb(600), "Image.gz")
    assert identify(path) is ImageFormat.COMPRESSED
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="compressed image decompresses to more than 536870912 bytes"):
            extract_ikconfig(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20, f"peak traced memory {peak} bytes"


def test_cap_is_a_parameter(tmp_path: Path, vmlinux_with_config: bytes) -> None:
    payload = size_append(compress(vmlinux_with_config + bytes(1 << 20), "gzip"), 0)
    path = _write(tmp_path, build_bzimage(payload))
    with pytest.raises(InputError, match="more than 65536 bytes"):
        extract_ikconfig(path, payload_limit=65536)


def test_config_blob_bomb(tmp_path: Path) -> None:
    """IKCFG_ST followed by a gzip stream of 64 MiB: over the 16 MiB config cap."""
    bomb = gzip.compress(bytes(64 << 20), 9)
    vmlinux = b"\x7fELF" + bytes(1000) + b"IKCFG_ST" + bomb + b"IKCFG_ED" + bytes(100)
    path = _write(tmp_path, build_bzimage(size_append(compress(vmlinux, "gzip"), len(vmlinux))))
    with pytest.raises(InputError, match="IKCONFIG blob decompresses to more than 16777216 bytes"):
        extract_ikconfig(path)


def test_stray_marker_before_the_blob(tmp_path: Path) -> None:
    vmlinux = b"IKCFG_ST is a string here\x00" + bytes(3000) + b"IKCFG_ST" + gzip.compress(CONFIG_TEXT) + b"IKCFG_ED"
    path = _write(tmp_path, build_bzimage(size_append(compress(vmlinux, "xz"), len(vmlinux))))
    assert extract_ikconfig(path) == CONFIG_TEXT
