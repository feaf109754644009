"""Write outputs atomically, and never over an input.

A report or fragment is written to a temporary file in the destination's
directory and renamed into place, so a reader never sees half a file and a
failure leaves any previous file intact and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
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


def write_atomic(path: str, text: str, *, inputs: Iterable[str | None] = ()) -> None:
    """Replace ``path`` with ``text`` in one rename.

    Text from the command line may hold bytes that are not UTF-8 (a path or
    ``--cmdline`` given as raw bytes reaches Python surrogate-escaped); they
    are written back as the same bytes, as the terminal would show them.
    """
    with open_atomic(path, inputs=inputs) as handle:
        handle.write(text)


@contextlib.contextmanager
def open_atomic(path: str, *, inputs: Iterable[str | None] = ()) -> Iterator[IO[str]]:
    """A text stream whose contents replace ``path`` in one rename when the block ends without error.

    For reports written as they are made (a batch of thousands of targets):
    until the rename, readers of ``path`` see the previous file.
    """
    import tempfile

    inputs = tuple(inputs)
    refuse_inputs(path, inputs)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InputError(path, "is a directory")
    try:
        fd, temporary = tempfile.mkstemp(prefix=".kcheck-", dir=directory)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from None
    try:
        # mkstemp() creates the file 0600: give the report the mode the file it
        # replaces had, else what open() would have given it (0666 - umask).
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            yield handle
        os.replace(temporary, path)
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
