"""Fuzz the streaming, capped decompressors (gzip, xz, lzma, bzip2, zstd, lz4)."""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.domain.errors import KcheckError
    from kcheck.inputs.image.compression import decompress, detect_compression
    from kcheck.inputs.image.model import Compression

KINDS = tuple(Compression)
LIMIT = 1 << 20


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    detected = detect_compression(data[1:])
    kind = detected or KINDS[data[0] % len(KINDS)]
    body = data[1:]
    chunk = 1 + data[0] % 64  # odd chunk sizes exercise the stream boundaries
    chunks = (body[i : i + chunk] for i in range(0, len(body), chunk))
    total = 0
    try:
        for out in decompress(chunks, kind, limit=LIMIT, path="fuzz", what="payload"):
            total += len(out)
    except KcheckError:
        return
    assert total <= LIMIT, "decompress() went past its cap"


if __name__ == "__main__":
    _harness.run(TestOneInput)
