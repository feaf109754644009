"""The bytes of a compressed ``.config``: every member, as ``zcat`` reads them.

``/proc/config.gz`` is one gzip member, but a ``.config.gz`` made by
``cat a.gz b.gz`` (or ``gzip -c >>``) has several, and ``zcat`` prints all of
them: reading only the first would miss a later ``# CONFIG_CRASH_DUMP is not
set`` and report a false OK.  So every member is read; bytes after a member
that start no other member are an error (gzip warns "trailing garbage"), except
the zero padding tape and block devices leave, which gzip ignores too.
xz and bzip2 files (``.config.xz``, ``.config.bz2``) are read the same way, with
the stdlib decompressors; other compressions are named, not guessed at.

Output is capped as for a plain config, so a bomb costs at most the cap.
"""

from __future__ import annotations

from kcheck.domain.compression import CONFIG_COMPRESSIONS, detect_compression
from kcheck.domain.errors import InputError


def compression_of(data: bytes) -> str | None:
    """"gzip", "xz" or "bzip2" for the formats read here, None for anything else."""
    kind = detect_compression(data[:16])
    return kind.value if kind in CONFIG_COMPRESSIONS else None


def _decompressor(kind: str) -> object:
    if kind == "gzip":
        import zlib  # lazy: the decompressor of that format only

        return zlib.decompressobj(wbits=31)
    if kind == "xz":
        import lzma  # lazy: the decompressor of that format only

        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=256 << 20)
    import bz2  # lazy: the decompressor of that format only

    return bz2.BZ2Decompressor()


def _errors() -> tuple[type[BaseException], ...]:
    import lzma  # lazy: the decompressor of that format only
    import zlib  # lazy: the decompressor of that format only

    return (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError)


def unpack(path: str, data: bytes, kind: str, limit: int) -> bytes:
    """All members of a ``kind`` file, at most ``limit`` bytes, or InputError naming what is wrong."""
    out = bytearray()
    rest = data
    member = 0
    errors = _errors()
    while True:
        member += 1
        dec = _decompressor(kind)
        try:
            # One call per member: output stops at limit + 1 bytes, so a member
            # that has not ended with less is truncated, and one that gave more is too big.
            out += dec.decompress(rest, limit + 1 - len(out))  # type: ignore[attr-defined]
        except errors as exc:
            raise InputError(path, f"corrupt {kind} data in member {member} ({exc})") from None
        if len(out) > limit:
            raise InputError(path, f"decompresses to more than {limit >> 20} MiB; not a kernel .config")
        if not dec.eof:  # type: ignore[attr-defined]
            raise InputError(path, f"truncated {kind} data (member {member} does not end)")
        rest = dec.unused_data  # type: ignore[attr-defined]
        if not rest or not rest.strip(b"\0"):
            return bytes(out)
        if compression_of(rest) != kind:
            offset = len(data) - len(rest)
            raise InputError(path, f"trailing garbage after {kind} member {member} (at byte {offset}); "
                                   "not a compressed .config")
