"""Bounded access to a kernel image file.

Kernel images range from 5 MiB to over 1 GiB (a vmlinux with DWARF), and a
user can point kcheck at anything: a FIFO, /dev/zero, a directory.  All reads
go through :class:`ImageFile`, which only opens regular files and only reads
explicit, bounded ranges, so no input can make kcheck block or read unbounded
data.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO

from kcheck.domain.errors import InputError
from kcheck.inputs.files import check_regular, file_kind

# How many bytes identification looks at: enough for the x86 setup header
# (0x202 + header fields) and every magic at a fixed offset.
HEAD_SIZE = 4096

# Chunk size for scans (banner, IKCONFIG marker).
CHUNK_SIZE = 1 << 20


class ImageFile:
    """A regular file opened for bounded, offset-addressed reads."""

    def __init__(self, path: str) -> None:
        self.path = path
        # The type is checked before open(): opening a FIFO blocks until a writer appears.
        st = check_regular(path)
        if st.st_size == 0:
            raise InputError(path, "empty file")
        try:
            # O_NONBLOCK guards the race where the path is swapped for a FIFO
            # between stat() and open().
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except PermissionError:
            raise InputError(path, "permission denied") from None
        except OSError as exc:
            raise InputError(path, f"cannot open file ({exc.strerror or exc})") from None
        self._file: BinaryIO = os.fdopen(fd, "rb", buffering=0)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            self._file.close()
            raise InputError(path, file_kind(st.st_mode))
        self.size = st.st_size

    def __enter__(self) -> ImageFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    @property
    def stream(self) -> BinaryIO:
        """The underlying file object, for parsers that seek and read small structs."""
        return self._file

    def read_upto(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset``; fewer at the end of the file."""
        if offset < 0 or length < 0:
            raise ValueError("negative offset or length")
        if offset >= self.size or length == 0:
            return b""
        length = min(length, self.size - offset)
        try:
            self._file.seek(offset)
            out = bytearray()
            while len(out) < length:
                chunk = self._file.read(length - len(out))
                if not chunk:
                    break
                out += chunk
        except OSError as exc:
            raise InputError(self.path, f"read error ({exc.strerror or exc})") from None
        return bytes(out)

    def read_exact(self, offset: int, length: int, what: str) -> bytes:
        """Exactly ``length`` bytes at ``offset``, or InputError naming ``what``."""
        if offset < 0 or offset + length > self.size:
            raise InputError(
                self.path,
                f"truncated file: {what} at offset {offset:#x} (+{length} bytes) "
                f"is past the end of the file ({self.size} bytes)",
            )
        data = self.read_upto(offset, length)
        if len(data) != length:
            raise InputError(self.path, f"truncated file: short read of {what}")
        return data

    def head(self) -> bytes:
        """The first :data:`HEAD_SIZE` bytes (fewer for a small file)."""
        return self.read_upto(0, HEAD_SIZE)

    def chunks(self, offset: int, length: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Read ``[offset, offset + length)`` clipped to the file, chunk by chunk."""
        end = min(offset + length, self.size)
        pos = max(offset, 0)
        while pos < end:
            data = self.read_upto(pos, min(chunk_size, end - pos))
            if not data:
                return
            yield data
            pos += len(data)
