"""Bounded, safe reading of input files.

kcheck reads files pasted from bug reports and images from build farms, so
every read is bounded: special files (FIFOs, devices such as ``/dev/zero``)
are refused before they are opened for reading, and no read takes more than
the caller's limit.  Errors name the file and say what is wrong in one line.
"""

from __future__ import annotations

import os
import stat

from kcheck.domain.errors import InputError

MiB = 1024 * 1024


def check_regular(path: str) -> os.stat_result:
    """Stat ``path`` and insist on a regular file (or the procfs files kcheck reads)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    except ValueError:  # os.stat refuses "embedded null byte" (a path from a TOML "\u0000")
        raise InputError(path, "the path contains a NUL byte") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(path, file_kind(st.st_mode))
    return st


def file_kind(mode: int) -> str:
    """Why a path that is not a regular file cannot be read (opening a FIFO would block)."""
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    kind = next((name for test, name in kinds if test(mode)), "a special file")
    return f"not a regular file ({kind}); it cannot be read safely"


def read_bounded(path: str, limit: int, *, what: str = "file") -> bytes:
    """Read a whole regular file of at most ``limit`` bytes.

    The size is checked before and after reading (procfs files report 0 and a
    file may grow while we read), so at most ``limit + 1`` bytes are ever held.
    """
    check_regular(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise InputError(path, f"larger than {limit // MiB} MiB; too big to be a {what}")
    return data


def read_head(path: str, size: int) -> bytes:
    """Read the first ``size`` bytes of a regular file (fewer if it is shorter)."""
    check_regular(path)
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None


def decode_text(path: str, data: bytes, *, what: str) -> str:
    """Decode UTF-8 text, refusing binary data with a reason a user understands."""
    if b"\0" in data:
        raise InputError(path, f"contains NUL bytes; binary data, not a {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (bad byte at offset {exc.start}); not a {what}") from None
