"""A newc ("070701") cpio writer: the format the kernel's initramfs unpacker reads.

Written here rather than by running cpio(1) so an initramfs can hold device
nodes and root-owned files without root, and so nothing on the host is
staged in a temporary tree first.  Entries are streamed: a file's bytes are
copied in chunks, never held whole.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

_TRAILER = "TRAILER!!!"
_CHUNK = 1 << 20


class CpioWriter:
    """Append entries to ``out``; call :meth:`close` to write the trailer."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._written = 0
        self._ino = 1
        self._dirs: set[str] = set()

    def _header(self, name: str, mode: int, size: int, nlink: int = 1,
                rdev: tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(encoded), 0)
        self._ino += 1
        head = b"070701" + b"".join(b"%08X" % value for value in fields)
        self._write(head + encoded + b"\0" * (-(len(head) + len(encoded)) % 4))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._written += len(data)

    def _pad(self, size: int) -> None:
        self._write(b"\0" * (-size % 4))

    def directory(self, name: str, mode: int = 0o755) -> None:
        """Add ``name`` and its missing parents (no leading slash)."""
        name = name.strip("/")
        parts = name.split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if path and path not in self._dirs:
                self._dirs.add(path)
                self._header(path, stat.S_IFDIR | mode, 0, nlink=2)

    def _parent(self, name: str) -> str:
        name = name.strip("/")
        if "/" in name:
            self.directory(name.rsplit("/", 1)[0])
        return name

    def data(self, name: str, payload: bytes, mode: int = 0o644) -> None:
        name = self._parent(name)
        self._header(name, stat.S_IFREG | mode, len(payload))
        self._write(payload)
        self._pad(len(payload))

    def file(self, name: str, source: str, mode: int | None = None) -> None:
        """Copy the host file ``source`` (followed through symlinks) to ``name``."""
        name = self._parent(name)
        with open(source, "rb") as handle:
            info = os.fstat(handle.fileno())
            size = info.st_size
            self._header(name, stat.S_IFREG | (mode if mode is not None else stat.S_IMODE(info.st_mode)), size)
            left = size
            while left > 0:
                chunk = handle.read(min(_CHUNK, left))
                if not chunk:
                    raise OSError(f"{source}: file shrank while it was copied")
                self._write(chunk)
                left -= len(chunk)
        self._pad(size)

    def symlink(self, name: str, target: str) -> None:
        name = self._parent(name)
        encoded = target.encode()
        self._header(name, stat.S_IFLNK | 0o777, len(encoded))
        self._write(encoded)
        self._pad(len(encoded))

    def char_device(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        name = self._parent(name)
        self._header(name, stat.S_IFCHR | mode, 0, rdev=(major, minor))

    def close(self) -> None:
        self._header(_TRAILER, 0, 0)
        # pad the archive to a 512-byte block as cpio(1) does
        self._write(b"\0" * (-self._written % 512))
