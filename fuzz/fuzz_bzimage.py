"""Fuzz identify/read_image/extract_ikconfig on any bytes (bzImage seeds, all formats)."""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.domain.errors import KcheckError
    from kcheck.inputs.image import extract_ikconfig, identify, read_image


def TestOneInput(data: bytes) -> None:
    path = _harness.as_file(data, "bzImage")
    for reader in (identify, read_image):
        try:
            reader(path)
        except KcheckError:
            pass
    try:
        # Small caps keep each run fast; the caps themselves are what is tested.
        extract_ikconfig(path, payload_limit=1 << 20, config_limit=1 << 16)
    except KcheckError:
        pass


if __name__ == "__main__":
    _harness.run(TestOneInput)
