"""Bounded, safe reading of input files.

kcheck reads files pasted from bug reports and images from build farms, so
every read is bounded: special files (FIFOs, devices such as ``/dev/zero``)
are refused before they are opened for reading, and no read takes more than
the caller's limit.  Errors name the file and say what is wrong in one line.
"""

from __future__ import annotations

import os
import stat

from kcheck.domain.compression import detect_compression
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
        raise InputError(path, f"larger than {size_text(limit)}; too big to be a {what}")
    return data


def size_text(limit: int) -> str:
    """A read limit as people write it: "32 MiB", "16 KiB", "4096 bytes"."""
    for unit, name in ((MiB, "MiB"), (1024, "KiB")):
        if limit >= unit and limit % unit == 0:
            return f"{limit // unit} {name}"
    return f"{limit} bytes"


def read_head(path: str, size: int) -> bytes:
    """Read the first ``size`` bytes of a regular file (fewer if it is shorter)."""
    check_regular(path)
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None


def decode_text(path: str, data: bytes, *, what: str) -> str:
    """Decode UTF-8 text, refusing anything else with what it is: UTF-16, compressed
    data, a NUL byte (with its offset), a byte that is not UTF-8."""
    nul = data.find(b"\0")
    if nul >= 0 or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        found = text_encoding(data)
        if found:
            raise InputError(path, f"{found} text, not UTF-8; convert it first "
                                   f"(iconv -f {found} -t UTF-8); not a {what}")
        kind = detect_compression(data[:16])
        if kind is not None:
            raise InputError(path, f"{kind.value}-compressed data; decompress it first; not a {what}")
        if nul >= 0:
            line = data.count(b"\n", 0, nul) + 1
            raise InputError(path, f"NUL byte at offset {nul} (line {line}); binary data, not a {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (bad byte at offset {exc.start}); not a {what}") from None


def text_encoding(data: bytes) -> str | None:
    """"UTF-16LE"/"UTF-16BE"/"UTF-32..." when ``data`` is text in one of them (a byte order
    mark, or ASCII with every other byte NUL, as Windows editors write it), else None."""
    boms = ((b"\xff\xfe\0\0", "UTF-32LE"), (b"\0\0\xfe\xff", "UTF-32BE"),
            (b"\xff\xfe", "UTF-16LE"), (b"\xfe\xff", "UTF-16BE"))
    for bom, name in boms:
        if data.startswith(bom):
            return name
    head = data[:512]
    if len(head) >= 8:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) == len(odd) and even.count(0) == 0 and even.isascii():
            return "UTF-16LE"
        if even.count(0) == len(even) and odd.count(0) == 0 and odd.isascii():
            return "UTF-16BE"
    return None
