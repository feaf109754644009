"""Write outputs atomically, and never over an input, a device, a FIFO or a link.

A report or fragment bound for a regular file (or a new one) is written to a
temporary file in the destination's directory and renamed into place, so a
reader never sees half a file and a failure leaves any previous file intact
and no temporary file behind.

Anything else is never replaced: a character device or FIFO (``-o
/dev/null``, ``-o /dev/tty``, a named pipe) is written through, as a shell's
``>`` would; ``/dev/stdout``, ``/dev/stderr`` and ``/dev/fd/N`` mean that
descriptor; a block device, directory or socket is refused.  A symbolic link
is followed: what it points to gets the treatment above (a regular file is
replaced atomically, the link stays a link).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from typing import IO

from kcheck.domain.errors import InputError


def refuse_inputs(path: str, inputs: Iterable[str | None]) -> None:
    """Raise if ``path`` names, links to or is a hard link of one of the inputs."""
    target = os.path.realpath(path)
    try:
        st = os.stat(path)
        identity = (st.st_dev, st.st_ino)
    except (OSError, ValueError):
        identity = None
    for item in inputs:
        if not item:
            continue
        if os.path.realpath(item) == target:
            raise InputError(path, "refusing to write output over an input file")
        if identity is not None:
            try:
                other = os.stat(item)
            except (OSError, ValueError):
                continue
            if (other.st_dev, other.st_ino) == identity:
                raise InputError(path, "refusing to write output over an input file")


_DESCRIPTORS = {"/dev/stdout": 1, "/dev/stderr": 2}


def write_atomic(path: str, text: str, *, inputs: Iterable[str | None] = ()) -> None:
    """Write ``text`` to ``path``: one rename for a regular file, written through for a
    character device or FIFO, never replacing anything that is not a regular file.

    Text from the command line may hold bytes that are not UTF-8 (a path or
    ``--cmdline`` given as raw bytes reaches Python surrogate-escaped); they
    are written back as the same bytes, as the terminal would show them.
    """
    with open_atomic(path, inputs=inputs) as handle:
        handle.write(text)


@contextlib.contextmanager
def open_atomic(path: str, *, inputs: Iterable[str | None] = ()) -> Iterator[IO[str]]:
    """A text stream for ``path``; see the module docstring for what each kind of path gets.

    For a regular (or new) file the contents replace it in one rename when the
    block ends without error: until then, readers see the previous file.  For
    reports written as they are made (a batch of thousands of targets).
    """
    inputs = tuple(inputs)
    refuse_inputs(path, inputs)
    descriptor = _descriptor(path)
    if descriptor is not None:
        if descriptor in (1, 2):
            (sys.stdout if descriptor == 1 else sys.stderr).flush()
        with _stream(path, lambda: os.dup(descriptor)) as handle:
            yield handle
        return
    try:
        st: os.stat_result | None = os.stat(path)  # follows symbolic links, /proc/self/fd/N too
    except FileNotFoundError:
        st = None
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot write: {getattr(exc, 'strerror', None) or exc}") from None
    if st is None or stat.S_ISREG(st.st_mode):
        with _replacing(path, os.path.realpath(path)) as handle:  # a link's target is replaced, the link stays
            yield handle
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        # Written through, never replaced: no temporary file, no rename.
        with _stream(path, lambda: os.open(path, os.O_WRONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))) \
                as handle:
            yield handle
    elif stat.S_ISDIR(st.st_mode):
        raise InputError(path, "is a directory")
    else:
        kind = "a block device" if stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) \
            else "not a regular file"
        raise InputError(path, f"{kind}; kcheck writes only to regular files, character devices and FIFOs")


def _descriptor(path: str) -> int | None:
    """The open descriptor ``path`` names (``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/3``)."""
    if path in _DESCRIPTORS:
        return _DESCRIPTORS[path]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if path.startswith(prefix) and path[len(prefix):].isdigit():
            return int(path[len(prefix):])
    return None


@contextlib.contextmanager
def _stream(path: str, opener: object) -> Iterator[IO[str]]:
    """A text stream on the descriptor ``opener()`` returns; every OSError is one InputError."""
    try:
        fd = opener()  # type: ignore[operator]
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            yield handle
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _replacing(path: str, target: str) -> Iterator[IO[str]]:
    """A temporary file beside ``target``, renamed over it when the block ends without error."""
    import tempfile  # lazy: only when a file is spooled or written

    directory = os.path.dirname(target)
    try:
        fd, temporary = tempfile.mkstemp(prefix=".kcheck-", dir=directory)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from None
    try:
        # mkstemp() creates the file 0600: give the report the mode the file it
        # replaces had, else what open() would have given it (0666 - umask).
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            yield handle
        os.replace(temporary, target)
    except BaseException as exc:
        # Whatever went wrong (a full disk, an interrupt), leave no temporary file.
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError(path, f"cannot write: {exc.strerror or exc}") from None
        raise


def _mode_for(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except (OSError, ValueError):
        mask = os.umask(0o22)
        os.umask(mask)
        return 0o666 & ~mask
