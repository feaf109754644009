"""extract_ikconfig(): the .config embedded by CONFIG_IKCONFIG, if any.

kernel/configs.c places ``"IKCFG_ST"``, then kernel/config_data.gz, then
``"IKCFG_ED"`` in .rodata.  scripts/extract-ikconfig finds it by trying the
whole file and then every offset that looks like a compressed stream.  Here
the stream is known in advance for most formats (a bzImage's setup header
gives its payload's offset and length; an EFI zboot or uImage header gives
theirs; a vmlinux's .rodata is inside its PT_LOAD ranges), so only that
stream is read or decompressed.  The magic-scanning fallback remains for
formats whose payload offset no header records (arm zImage, pre-2.08 bzImage).

Every decompression is streamed and capped, and the search stops at the
first blob, so neither memory nor time grows with a decompression bomb.
"""

from __future__ import annotations

from collections.abc import Iterator

from kcheck.domain.compression import SCAN_MAGICS
from kcheck.domain.errors import InputError
from kcheck.inputs.image import boot_headers as bh
from kcheck.inputs.image import x86
from kcheck.inputs.image.compression import (
    DecompressionLimitError,
    decompress,
    detect_compression,
)
from kcheck.inputs.image.elf import parse_ident, read_elf
from kcheck.inputs.image.fileio import ImageFile
from kcheck.inputs.image.identify import classify
from kcheck.inputs.image.model import Compression, ImageFormat
from kcheck.inputs.image.reader import range_chunks
from kcheck.inputs.image.scan import find_bytes

IKCFG_ST = b"IKCFG_ST"
IKCFG_ED = b"IKCFG_ED"

# A 6.1 x86_64 payload decompresses to 66 MiB; 512 MiB leaves room for any
# real kernel while bounding a bomb.  A .config is under 300 KB.
PAYLOAD_LIMIT = 512 << 20
CONFIG_LIMIT = 16 << 20

# Fallback magic scan: how much of the file, and how many candidate streams.
SCAN_LIMIT = 128 << 20
MAX_CANDIDATES = 64


class _Pushback:
    """An iterator of chunks that can take back bytes it already gave out."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._front: bytes = b""

    def __iter__(self) -> _Pushback:
        return self

    def __next__(self) -> bytes:
        if self._front:
            data, self._front = self._front, b""
            return data
        return next(self._chunks)

    def push(self, data: bytes) -> None:
        self._front = data + self._front


def _config_in(chunks: Iterator[bytes], path: str, config_limit: int) -> bytes | None:
    """Search ``chunks`` for IKCFG_ST followed by a gzip stream; return its text."""
    stream = _Pushback(chunks)
    while True:
        found = find_bytes(stream, IKCFG_ST)
        if found is None:
            return None
        after = found[1][len(IKCFG_ST) :]
        while len(after) < 3:  # need the gzip magic to decide
            more = next(stream, b"")
            if not more:
                return None
            after += more
        stream.push(after)
        if detect_compression(after) is Compression.GZIP:
            blob = decompress(stream, Compression.GZIP, limit=config_limit, path=path, what="IKCONFIG blob")
            return b"".join(blob)
        # a stray "IKCFG_ST" string: keep looking after it


def _payload_config(f: ImageFile, offset: int, length: int, kind: Compression | None,
                    payload_limit: int, config_limit: int, what: str) -> bytes | None:
    if kind is None:
        return _config_in(iter(range_chunks(f, ((offset, length),), payload_limit)), f.path, config_limit)
    stream = decompress(f.chunks(offset, length), kind, limit=payload_limit, path=f.path, what=what)
    return _config_in(stream, f.path, config_limit)


def _candidates(f: ImageFile, start: int) -> list[int]:
    """Offsets after ``start`` where a compressed stream may begin (extract-ikconfig's list)."""
    found: set[int] = set()
    tail = b""
    base = start  # file offset of the current chunk
    for chunk in f.chunks(start, SCAN_LIMIT):
        window = tail + chunk  # the tail catches a magic split across chunks
        origin = base - len(tail)
        for magic in SCAN_MAGICS:
            i = window.find(magic)
            while i >= 0:
                head = window[i : i + 16] if i + 16 <= len(window) else f.read_upto(origin + i, 16)
                if detect_compression(head) is not None:
                    found.add(origin + i)
                i = window.find(magic, i + 1)
        if len(found) >= MAX_CANDIDATES:
            break
        base += len(chunk)
        tail = window[-16:]
    return sorted(found)[:MAX_CANDIDATES]


def _search_streams(f: ImageFile, start: int, payload_limit: int, config_limit: int) -> bytes | None:
    """scripts/extract-ikconfig's method: try the raw bytes, then each compressed stream."""
    config = _config_in(iter(f.chunks(start, payload_limit)), f.path, config_limit)
    if config is not None:
        return config
    # One output budget for all candidates together: 64 streams that each stop
    # just under the cap were 64 x 512 MiB of work (4 minutes for a 32 MB file).
    budget = payload_limit

    def counted(stream: Iterator[bytes]) -> Iterator[bytes]:
        nonlocal budget
        for chunk in stream:
            budget -= len(chunk)
            if budget < 0:
                raise DecompressionLimitError(
                    f.path, f"compressed streams decompress to more than {payload_limit} bytes in all")
            yield chunk

    for offset in _candidates(f, start):
        kind = detect_compression(f.read_upto(offset, 16))
        if kind is None or kind is Compression.LZO:
            continue
        try:
            stream = decompress(f.chunks(offset, f.size - offset), kind, limit=payload_limit,
                                path=f.path, what=f"{kind.value} stream at {offset:#x}")
            config = _config_in(counted(stream), f.path, config_limit)
        except DecompressionLimitError:
            raise
        except InputError:
            continue  # a false magic match: not a stream after all
        if config is not None:
            return config
    return None


def extract_ikconfig(path: str, *, payload_limit: int = PAYLOAD_LIMIT,
                     config_limit: int = CONFIG_LIMIT) -> bytes | None:
    """The embedded .config text, or None when the image carries no IKCONFIG blob."""
    with ImageFile(path) as f:
        head = f.head()
        fmt = classify(path, head)
        if fmt is ImageFormat.VMLINUX:
            layout = read_elf(f, parse_ident(path, head))
            stream = iter(range_chunks(f, layout.load_ranges, payload_limit))
            return _config_in(stream, path, config_limit)
        if fmt is ImageFormat.BZIMAGE:
            setup = x86.parse_setup_header(path, head)
            x86.check_bzimage(f, setup)
            where = x86.payload_range(setup)
            if where is None:  # before protocol 2.08 the payload is not located
                return _search_streams(f, setup.protected_mode_offset, payload_limit, config_limit)
            return _payload_config(f, *where, x86.payload_compression(f, setup),
                                   payload_limit, config_limit, "bzImage payload")
        if fmt is ImageFormat.EFI_ZBOOT:
            zb = bh.parse_zboot(path, head)
            kind = detect_compression(f.read_upto(zb.payload_offset, 16)) or bh.zboot_compression(zb)
            if kind is None:
                raise InputError(path, f"EFI zboot payload compression {zb.compression_name!r} is unknown")
            return _payload_config(f, zb.payload_offset, zb.payload_size, kind,
                                   payload_limit, config_limit, "EFI zboot payload")
        if fmt is ImageFormat.UIMAGE:
            uh = bh.parse_uimage(path, head)
            kind = bh.UIMAGE_COMPRESSION.get(uh.compression)
            if kind is None:  # often a zImage inside: search it like one
                return _search_streams(f, bh.UIMAGE_HEADER_SIZE, payload_limit, config_limit)
            return _payload_config(f, bh.UIMAGE_HEADER_SIZE, uh.data_size, kind,
                                   payload_limit, config_limit, "uImage payload")
        if fmt is ImageFormat.COMPRESSED:
            kind = detect_compression(head)
            assert kind is not None
            return _payload_config(f, 0, f.size, kind, payload_limit, config_limit, "compressed image")
        if fmt is ImageFormat.ARM_ZIMAGE:
            return _search_streams(f, 0, payload_limit, config_limit)
        # arm64 / RISC-V Image: uncompressed, the blob is in the file as is.
        return _config_in(iter(f.chunks(0, payload_limit)), path, config_limit)
