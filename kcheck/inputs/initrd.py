"""Read an initrd as the kernel's unpacker does: concatenated cpio archives, compressed or not.

Distributions build initrds as several archives end to end (Debian and
dracut put an uncompressed early-microcode cpio before the compressed main
one).  ``init/initramfs.c`` skips zero padding, reads a ``070701`` archive
in place and decompresses anything else by its magic; the files land in a
tmpfs, so while unpacking the kernel holds the compressed initrd *and* the
unpacked files at once.  This reader measures both, streaming, with the
output capped, so a capture kernel's memory need can be computed without
holding the initrd in memory.  The same pass notes the few file names (and
the small ``/init``) that tell what kind of initrd it is
(kcheck.domain.initrd_kind), for the working set the capture kernel needs.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Iterator

from kcheck.domain.errors import InputError
from kcheck.domain.initrd_kind import INIT_LIMIT, initrd_kind, is_init, is_read, marker_in, marker_of
from kcheck.domain.memory import PAGE_SIZE
from kcheck.inputs.files import check_regular
from kcheck.domain.records import record

#: unpacked bytes read at most (a capture initrd of more would not fit any region)
UNPACK_LIMIT = 4 << 30
_CHUNK = 1 << 20
_HEADER = 110


@record
class Archive:
    offset: int
    compression: str          # "none", "gzip", "xz", "lzma", "zstd", "bzip2"
    stored_bytes: int         # bytes of the initrd file it occupies
    files: int
    data_bytes: int           # sum of the files' sizes
    unpacked_bytes: int       # the files in the tmpfs, each rounded up to a page
    markers: frozenset[str] = frozenset()   # kcheck.domain.initrd_kind.marker_of hits
    has_init: bool = False
    init: bytes | None = None               # its last /init, when at most INIT_LIMIT bytes


@record
class InitrdInfo:
    """An initrd's layout and what unpacking it costs."""

    path: str
    size: int
    archives: tuple[Archive, ...]
    files: int
    data_bytes: int
    unpacked_bytes: int       # what the files take in the tmpfs: each rounded up to a page
    kind: str = "unknown"     # kcheck.domain.capture_memory.KINDS, from the listing
    kind_why: str = ""

    @property
    def compressed(self) -> bool:
        return any(a.compression != "none" for a in self.archives)


class _Cpio:
    """Streaming newc parser: feed bytes, count files and their sizes."""

    def __init__(self, path: str, stop_at_trailer: bool) -> None:
        self.path = path
        self.stop_at_trailer = stop_at_trailer
        self.buffer = b""
        self.skip = 0
        self.files = 0
        self.data = 0
        self.pages = 0
        self.ended = False   # saw TRAILER!!! (a following archive may start)
        self.markers: set[str] = set()
        self.has_init = False
        self.init: bytes | None = None
        self._keep = ""          # the member whose content is being kept: /init or is_read()
        self._keep_left = 0
        self._keep_parts: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        while True:
            if self.skip:
                cut = min(self.skip, len(self.buffer))
                if self._keep_left:
                    take = min(cut, self._keep_left)
                    self._keep_parts.append(self.buffer[:take])
                    self._keep_left -= take
                    if not self._keep_left:
                        self._kept(b"".join(self._keep_parts))
                self.buffer = self.buffer[cut:]
                self.skip -= cut
                if self.skip:
                    return
            stripped = self.buffer.lstrip(b"\0")
            self.buffer = stripped
            if len(self.buffer) < _HEADER:
                return
            head = self.buffer[:_HEADER]
            if head[:6] not in (b"070701", b"070702"):
                raise InputError(self.path, "not an initramfs: a cpio header was expected "
                                 f"(found {head[:6]!r})")
            try:
                mode = int(head[14:22], 16)
                size = int(head[54:62], 16)
                namesize = int(head[94:102], 16)
            except ValueError:
                raise InputError(self.path, "corrupt cpio header in the initrd") from None
            name_end = _HEADER + namesize
            data_start = name_end + (-name_end % 4)
            if len(self.buffer) < data_start:
                if namesize > 65536:
                    raise InputError(self.path, "corrupt cpio header in the initrd (name too long)")
                return
            name = self.buffer[_HEADER:name_end - 1]
            self.buffer = self.buffer[data_start:]
            if name == b"TRAILER!!!":
                self.ended = True
                if self.stop_at_trailer:
                    return
                continue
            self.ended = False
            text = name.decode("utf-8", "replace")
            marker = marker_of(text)
            if marker is not None:
                self.markers.add(marker)
            if mode & 0o170000 == 0o100000:
                self.files += 1
                self.data += size
                self.pages += (size + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE
                if is_init(text):
                    # a later /init replaces this one, as the kernel's unpacker overwrites it
                    self.has_init = True
                    self.init = b"" if size == 0 else None
                if is_init(text) or is_read(text):
                    self._keep, self._keep_parts = text, []
                    self._keep_left = size if size <= INIT_LIMIT else 0
            self.skip = size + (-size % 4)

    def _kept(self, data: bytes) -> None:
        if is_init(self._keep):
            self.init = data
        elif (marker := marker_in(self._keep, data)) is not None:
            self.markers.add(marker)


def _decompressor(kind: str):  # type: ignore[no-untyped-def]
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if kind in ("xz", "lzma"):
        return lzma.LZMADecompressor(lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    import zstandard  # lazy: optional extra, Debian's zstd initrds

    return zstandard.ZstdDecompressor().decompressobj()


def _kind(head: bytes) -> str | None:
    if head.startswith(b"070701") or head.startswith(b"070702"):
        return "none"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head[:1] == b"\x5d" and head[1:5] != b"\0\0\0\0":
        return "lzma"
    return None


def _chunks(handle, start: int) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    handle.seek(start)
    while chunk := handle.read(_CHUNK):
        yield chunk


def read_initrd(path: str) -> InitrdInfo:
    """The archives of ``path`` and their unpacked size; garbage is an InputError."""
    size = check_regular(path).st_size
    archives: list[Archive] = []
    offset = 0
    total = 0
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    with handle:
        while offset < size:
            handle.seek(offset)
            head = handle.read(4096)
            skipped = len(head) - len(head.lstrip(b"\0"))
            if skipped == len(head):
                offset += skipped
                continue
            offset += skipped
            head = head[skipped:]
            kind = _kind(head)
            if kind is None:
                if not archives:
                    raise InputError(path, "not an initramfs: neither a cpio archive nor a compressed one")
                raise InputError(path, f"unknown data at byte {offset} after {len(archives)} archive(s)")
            archive, used = _read_archive(path, handle, offset, kind, UNPACK_LIMIT - total)
            total += archive.data_bytes
            archives.append(archive)
            offset += used
    if not archives:
        raise InputError(path, "not an initramfs: the file is empty")
    files = sum(a.files for a in archives)
    data = sum(a.data_bytes for a in archives)
    markers = frozenset().union(*(a.markers for a in archives))
    inits = [a.init for a in archives if a.has_init]
    kind, why = initrd_kind(markers, inits[-1] if inits else None)
    return InitrdInfo(path, size, tuple(archives), files, data, sum(a.unpacked_bytes for a in archives),
                      kind, why)


def _read_archive(path: str, handle, offset: int, kind: str, budget: int) -> tuple[Archive, int]:  # type: ignore[no-untyped-def]
    parser = _Cpio(path, stop_at_trailer=kind == "none")
    if kind == "none":
        used = 0
        for chunk in _chunks(handle, offset):
            parser.feed(chunk)
            used += len(chunk)
            if parser.ended:
                break
        # the archive ends at its trailer; bytes left in the parser belong to what follows
        used -= len(parser.buffer)
        return _archive(parser, offset, kind, used), used
    decoder = _decompressor(kind)
    used = 0
    produced = 0
    errors = (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError)
    try:
        for chunk in _chunks(handle, offset):
            out = decoder.decompress(chunk)
            produced += len(out)
            if produced > budget:
                raise InputError(path, f"the initrd unpacks to more than {UNPACK_LIMIT >> 30} GiB")
            parser.feed(out)
            if getattr(decoder, "eof", False):
                used += len(chunk) - len(decoder.unused_data)
                break
            used += len(chunk)
        else:
            if not getattr(decoder, "eof", True):
                raise InputError(path, f"truncated {kind} data in the initrd")
    except errors as exc:
        raise InputError(path, f"corrupt {kind} data in the initrd ({exc})") from None
    return _archive(parser, offset, kind, used), used


def _archive(parser: _Cpio, offset: int, kind: str, used: int) -> Archive:
    return Archive(offset, kind, used, parser.files, parser.data, parser.pages,
                   frozenset(parser.markers), parser.has_init, parser.init)
