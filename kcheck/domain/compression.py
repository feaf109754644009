"""Compression formats of kernel payloads and files, known by their magic bytes.

Pure knowledge (no I/O): the image readers decompress with it, and the text
reader names what it was given ("xz-compressed data") instead of "binary".
"""

from __future__ import annotations

import enum


class Compression(enum.StrEnum):
    """Compressors the kernel build can use for a payload (scripts/Makefile.lib)."""

    GZIP = "gzip"
    BZIP2 = "bzip2"
    LZMA = "lzma"
    XZ = "xz"
    LZO = "lzo"
    LZ4 = "lz4"  # legacy frame ("lz4 -l"), what the kernel build writes
    LZ4_FRAME = "lz4-frame"  # modern LZ4 frame format, seen in bare files
    ZSTD = "zstd"


# Magic bytes, as scripts/extract-vmlinux and the compressors define them.
_MAGICS: tuple[tuple[bytes, Compression], ...] = (
    (b"\x1f\x8b\x08", Compression.GZIP),
    (b"\xfd7zXZ\x00", Compression.XZ),
    (b"\x28\xb5\x2f\xfd", Compression.ZSTD),
    (b"\x89LZO\x00\r\n\x1a\n", Compression.LZO),  # lzop file header
    (b"\x02\x21\x4c\x18", Compression.LZ4),  # legacy format ("lz4 -l")
    (b"\x04\x22\x4d\x18", Compression.LZ4_FRAME),
)


#: The leading bytes of each format, what a scan for embedded streams looks for
#: (scripts/extract-ikconfig's list); :func:`detect_compression` then confirms.
SCAN_MAGICS: tuple[bytes, ...] = (*(magic for magic, _ in _MAGICS), b"BZh", b"\x5d\x00\x00")

#: What a compressed ``.config`` may be (``zcat``, ``xzcat``, ``bzcat``; the stdlib reads them).
CONFIG_COMPRESSIONS = frozenset({Compression.GZIP, Compression.XZ, Compression.BZIP2})


def detect_compression(data: bytes) -> Compression | None:
    """The compression whose magic ``data`` starts with, or None."""
    for magic, kind in _MAGICS:
        if data.startswith(magic):
            return kind
    # "BZh" + block size digit '1'..'9'
    if len(data) >= 4 and data[:3] == b"BZh" and 0x31 <= data[3] <= 0x39:
        return Compression.BZIP2
    # lzma "alone": properties byte 0x5d (lc=3 lp=0 pb=2), a 32-bit
    # dictionary size ("lzma -9" writes 0x5d 00 00 00 04; extract-vmlinux
    # matches 5d 00 00 00), then a 64-bit size that is -1 (unknown) or sane.
    if len(data) >= 13 and data[0] == 0x5D:
        dict_size = int.from_bytes(data[1:5], "little")
        size = int.from_bytes(data[5:13], "little")
        if _plausible_dict(dict_size) and (size == (1 << 64) - 1 or size < 1 << 40):
            return Compression.LZMA
    return None


def _plausible_dict(value: int) -> bool:
    """xz-utils writes 2^n or 2^n + 2^(n-1) dictionary sizes."""
    if value < 4096:
        return False
    if value & (value - 1) == 0:
        return True
    return value % 3 == 0 and (value // 3) & (value // 3 - 1) == 0
