"""Read files of a host tree as if ROOT were the host's ``/``.

``kcheck preflight --root DIR`` reads a live host (``/``) or a tree captured
from one (a support bundle, a test fixture).  Captured trees are full of
absolute symlinks (``/var/lib/kdump/vmlinuz -> /boot/vmlinuz-6.1.0-56-amd64``)
which must resolve *inside* the tree, never on the machine running kcheck.
So every path is resolved component by component the way the kernel does
inside a chroot (``openat2(RESOLVE_IN_ROOT)``): an absolute link restarts at
ROOT and ``..`` never climbs above it.  Nothing outside ROOT is ever opened.

Errors name the file as ``<root>/<host path>`` so a user sees which file of
which tree is wrong.
"""

from __future__ import annotations

import os
import stat
from collections import deque

from kcheck.domain.errors import InputError
from kcheck.inputs.files import decode_text, read_bounded, read_head

#: Linux gives up after 40 links in one lookup (MAXSYMLINKS, fs/namei.c).
MAX_LINKS = 40


class HostRoot:
    """A host's file system rooted at ``root`` (``/`` for the running host)."""

    def __init__(self, root: str) -> None:
        if not os.path.isdir(root):
            what = "no such directory" if not os.path.exists(root) else "not a directory"
            raise InputError("--root", f"{root}: {what}")
        self.root = root
        #: Real paths of every file read, so an output can refuse to replace one
        #: (``kcheck preflight --root / -o /etc/default/kdump-tools``).
        self.read: list[str] = []

    def show(self, path: str) -> str:
        """How to name host ``path`` in messages: ``/proc/cmdline`` or ``<root>/proc/cmdline``."""
        if self.root in ("/", ""):
            return path
        return os.path.join(self.root, path.lstrip("/"))

    def resolve(self, path: str) -> str:
        """The real path of host ``path``, following links with ROOT as ``/``.

        The result may not exist; a link loop raises InputError as ELOOP would.
        """
        pending = deque(path.split("/"))
        resolved: list[str] = []
        links = 0
        while pending:
            part = pending.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            real = os.path.join(self.root, *resolved, part)
            if os.path.islink(real):
                links += 1
                if links > MAX_LINKS:
                    raise InputError(self.show(path), "too many levels of symbolic links")
                target = os.readlink(real)
                if target.startswith("/"):
                    resolved = []
                pending.extendleft(reversed(target.split("/")))
                continue
            resolved.append(part)
        return os.path.join(self.root, *resolved)

    def host_path(self, path: str) -> str:
        """Host ``path`` with every link followed, as the host would see it (``/boot/...``)."""
        real = self.resolve(path)
        relative = os.path.relpath(real, self.root)
        return "/" if relative == "." else "/" + relative

    def _stat(self, path: str) -> os.stat_result | None:
        try:
            return os.stat(self.resolve(path), follow_symlinks=False)
        except OSError:
            return None

    def exists(self, path: str) -> bool:
        return self._stat(path) is not None

    def lexists(self, path: str) -> bool:
        """True when ``path`` exists, even as a link whose target the tree lacks."""
        parent, _, name = path.rstrip("/").rpartition("/")
        return os.path.lexists(os.path.join(self.resolve(parent or "/"), name))

    def is_file(self, path: str) -> bool:
        st = self._stat(path)
        return st is not None and stat.S_ISREG(st.st_mode)

    def is_dir(self, path: str) -> bool:
        st = self._stat(path)
        return st is not None and stat.S_ISDIR(st.st_mode)

    def size(self, path: str) -> int | None:
        """Size in bytes of a regular file, or None when it is not one."""
        st = self._stat(path)
        return st.st_size if st is not None and stat.S_ISREG(st.st_mode) else None

    def listdir(self, path: str) -> list[str]:
        """Sorted names in a directory; empty when it is missing or unreadable."""
        try:
            return sorted(os.listdir(self.resolve(path)))
        except OSError:
            return []

    def read_bytes(self, path: str, limit: int, *, what: str) -> bytes:
        real = self._checked(path)
        try:
            return read_bounded(real, limit, what=what)
        except InputError as exc:
            raise InputError(self.show(path), exc.message) from None

    def read_head(self, path: str, size: int) -> bytes:
        real = self._checked(path)
        try:
            return read_head(real, size)
        except InputError as exc:
            raise InputError(self.show(path), exc.message) from None

    def read_text(self, path: str, limit: int, *, what: str) -> str:
        data = self.read_bytes(path, limit, what=what)
        return decode_text(self.show(path), data, what=what)

    def read_optional(self, path: str, limit: int, *, what: str) -> str | None:
        """The file's text, or None when it does not exist (other problems still raise)."""
        if not os.path.lexists(self.resolve(path)):
            return None
        return self.read_text(path, limit, what=what)

    def real_file(self, path: str) -> str:
        """The real path of host file ``path``, for a reader outside this class; recorded as read."""
        real = self.resolve(path)
        # Also the path as named, so a link in the tree is never replaced either.
        self.read += [real, os.path.join(self.root, path.lstrip("/"))]
        return real

    def _checked(self, path: str) -> str:
        real = self.real_file(path)
        if not os.path.lexists(real):
            raise InputError(self.show(path), "no such file")
        return real
