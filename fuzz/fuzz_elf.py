"""Fuzz the vmlinux (ELF) reader: headers, program/section tables, notes, banner, IKCONFIG."""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.domain.errors import KcheckError
    from kcheck.inputs.image import extract_ikconfig, read_image

ELF_MAGIC = b"\x7fELF"


def TestOneInput(data: bytes) -> None:
    # Keep the magic so the mutations exercise the ELF parser, not identification.
    path = _harness.as_file(ELF_MAGIC + data[4:] if len(data) >= 4 else ELF_MAGIC + data, "vmlinux")
    for reader in (read_image, extract_ikconfig):
        try:
            reader(path)
        except KcheckError:
            pass


if __name__ == "__main__":
    _harness.run(TestOneInput)
