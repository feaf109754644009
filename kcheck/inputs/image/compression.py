"""Compression magics and bounded, streaming decompression.

Kernel payloads are written by scripts/Makefile.lib (``cmd_gzip``, ``cmd_xzkern``,
``cmd_lzma``, ``cmd_lz4`` ...), each followed by ``size_append``: four bytes of
little-endian decompressed size after the stream.  So every decoder here
stops at the end of the first stream and ignores what follows.

Decompression is a generator of chunks with an output cap, so neither a real
66 MiB payload nor a decompression bomb is ever held in memory whole, and a
bomb costs at most ``limit`` bytes of work.  The decompressor libraries are
imported only when a stream of that kind is met (start-up time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from kcheck.domain.errors import InputError
from kcheck.domain.compression import Compression, detect_compression  # noqa: F401 - re-exported

# Output is produced in steps of this size, and input fed in chunks of it.
STEP = 1 << 20

# Largest dictionary an lzma/xz stream may ask for: xz_wrap.sh uses 32 MiB,
# "lzma -9" 64 MiB.  A forged header asking for 4 GiB is refused instead.
_LZMA_MEMLIMIT = 256 << 20

# Legacy lz4 blocks decompress to at most 8 MiB (lib/decompress_unlz4.c).
_LZ4_LEGACY_BLOCK = 8 << 20
_LZ4_LEGACY_MAGIC = 0x184C2102


class DecompressionLimitError(InputError):
    """The output cap was hit: a decompression bomb, or a cap set too low."""


class _Decoder(Protocol):
    eof: bool

    def step(self, data: bytes) -> bytes:
        """Consume ``data`` (may be empty), return up to STEP bytes of output."""

    def pending(self) -> bool:
        """True while buffered input can still produce output without new input."""


class _StdlibDecoder:
    """lzma, bz2 and lz4.frame decompressors share max_length/needs_input."""

    def __init__(self, dec: object) -> None:
        self._dec = dec
        self.eof = False

    def step(self, data: bytes) -> bytes:
        out: bytes = self._dec.decompress(data, STEP)  # type: ignore[attr-defined]
        self.eof = bool(self._dec.eof)  # type: ignore[attr-defined]
        return out

    def pending(self) -> bool:
        return not self._dec.needs_input  # type: ignore[attr-defined]


class _ZlibDecoder:
    def __init__(self) -> None:
        import zlib  # lazy: the decompressor of that format only

        self._dec = zlib.decompressobj(wbits=31)  # gzip wrapper only
        self.eof = False

    def step(self, data: bytes) -> bytes:
        out = self._dec.decompress(self._dec.unconsumed_tail + data, STEP)
        self.eof = self._dec.eof
        return out

    def pending(self) -> bool:
        return bool(self._dec.unconsumed_tail)


class _ZstdDecoder:
    """zstandard's decompressobj has no max_length: feed it small slices.

    A zstd RLE block turns 4 input bytes into up to 128 KiB, so a 256-byte
    slice yields at most about 8 MiB: bounded, though above STEP.
    """

    _SLICE = 256

    def __init__(self) -> None:
        import zstandard  # lazy: optional extra, only for that compression

        self._dec = zstandard.ZstdDecompressor().decompressobj()
        self._buf = b""
        self.eof = False

    def step(self, data: bytes) -> bytes:
        self._buf += data
        out = bytearray()
        while self._buf and not self.eof and len(out) < STEP:
            piece, self._buf = self._buf[: self._SLICE], self._buf[self._SLICE :]
            out += self._dec.decompress(piece)
            self.eof = bool(self._dec.eof)
        return bytes(out)

    def pending(self) -> bool:
        return bool(self._buf) and not self.eof


class _Lz4LegacyDecoder:
    """The legacy lz4 format the kernel writes: magic, then [le32 size][block]...

    It has no end marker; like lib/decompress_unlz4.c we stop when what
    follows cannot be a block (the size_append trailer, or the end of input).
    """

    def __init__(self, done_input: list[bool]) -> None:
        self._buf = b""
        self._started = False
        self._done_input = done_input
        self.eof = False

    def step(self, data: bytes) -> bytes:
        import lz4.block  # lazy: optional extra, only for that compression

        self._buf += data
        if not self._started:
            if len(self._buf) < 4:
                return b""
            self._buf = self._buf[4:]
            self._started = True
        while len(self._buf) >= 4:
            size = int.from_bytes(self._buf[:4], "little")
            if size == _LZ4_LEGACY_MAGIC:  # concatenated archives
                self._buf = self._buf[4:]
                continue
            # LZ4_COMPRESSBOUND(8 MiB): anything larger is trailing data.
            if size == 0 or size > _LZ4_LEGACY_BLOCK + _LZ4_LEGACY_BLOCK // 255 + 16:
                self.eof = True
                return b""
            if len(self._buf) < 4 + size:
                # At the end of input a lone size word is the size_append
                # trailer; a longer partial block is a truncated stream
                # (eof stays False and decompress() reports it).
                if self._done_input[0] and len(self._buf) <= 8:
                    self.eof = True
                return b""
            block, self._buf = self._buf[4 : 4 + size], self._buf[4 + size :]
            out: bytes = lz4.block.decompress(block, uncompressed_size=_LZ4_LEGACY_BLOCK)
            return out
        if self._done_input[0]:
            self.eof = True
        return b""

    def pending(self) -> bool:
        if self.eof or len(self._buf) < 4:
            return False
        size = int.from_bytes(self._buf[:4], "little")
        return size == _LZ4_LEGACY_MAGIC or len(self._buf) >= 4 + size


def _make_decoder(kind: Compression, path: str, done_input: list[bool]) -> _Decoder:
    if kind is Compression.GZIP:
        return _ZlibDecoder()
    if kind in (Compression.XZ, Compression.LZMA):
        import lzma  # lazy: the decompressor of that format only

        fmt = lzma.FORMAT_XZ if kind is Compression.XZ else lzma.FORMAT_ALONE
        return _StdlibDecoder(lzma.LZMADecompressor(format=fmt, memlimit=_LZMA_MEMLIMIT))
    if kind is Compression.BZIP2:
        import bz2  # lazy: the decompressor of that format only

        return _StdlibDecoder(bz2.BZ2Decompressor())
    if kind is Compression.ZSTD:
        try:
            return _ZstdDecoder()
        except ImportError:
            raise InputError(
                path, "zstd-compressed data needs the 'zstandard' Python package (pip install zstandard)"
            ) from None
    if kind in (Compression.LZ4, Compression.LZ4_FRAME):
        try:
            import lz4.block  # lazy: optional extra, only for that compression
            import lz4.frame  # lazy: optional extra, only for that compression
        except ImportError:
            raise InputError(
                path, "lz4-compressed data needs the 'lz4' Python package (pip install lz4)"
            ) from None
        if kind is Compression.LZ4:
            return _Lz4LegacyDecoder(done_input)
        return _StdlibDecoder(lz4.frame.LZ4FrameDecompressor())
    raise InputError(path, f"cannot decompress {kind.value} data (no decompressor for it in kcheck)")


def _decoder_errors() -> tuple[type[BaseException], ...]:
    """Exception types the decompressors raise for corrupt input."""
    import zlib  # lazy: the decompressor of that format only

    errors: list[type[BaseException]] = [zlib.error, EOFError, OSError, RuntimeError]
    for modname, attr in (("lzma", "LZMAError"), ("zstandard", "ZstdError")):
        try:
            module = __import__(modname)
            errors.append(getattr(module, attr))
        except (ImportError, AttributeError):
            pass
    try:
        import lz4.block  # lazy: optional extra, only for that compression

        errors.append(lz4.block.LZ4BlockError)
    except ImportError:
        pass
    return tuple(errors)


def decompress(
    source: Iterable[bytes],
    kind: Compression,
    *,
    limit: int,
    path: str,
    what: str,
) -> Iterator[bytes]:
    """Yield the decompressed chunks of the first ``kind`` stream in ``source``.

    Bytes after the end of the stream are ignored.  More than ``limit`` bytes
    of output raise InputError "<what> decompresses to more than N bytes";
    corrupt or truncated data raises InputError too.
    """
    done_input = [False]
    decoder = _make_decoder(kind, path, done_input)
    errors = _decoder_errors()
    total = 0

    def emit(out: bytes) -> bytes:
        nonlocal total
        total += len(out)
        if total > limit:
            raise DecompressionLimitError(path, f"{what} decompresses to more than {limit} bytes")
        return out

    try:
        for chunk in source:
            data = chunk
            while True:
                out = decoder.step(data)
                data = b""
                if out:
                    yield emit(out)
                if decoder.eof:
                    return
                if not decoder.pending():
                    break
        done_input[0] = True
        while not decoder.eof:
            out = decoder.step(b"")
            if out:
                yield emit(out)
            elif not decoder.pending():
                break
    except errors as exc:
        raise InputError(path, f"corrupt {kind.value} data in {what} ({exc})") from None
    if not decoder.eof:
        raise InputError(path, f"truncated {kind.value} data in {what} (the stream does not end)")
