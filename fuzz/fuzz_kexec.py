"""Fuzz the kexec command parser (shell splitting and getopt_long emulation)."""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.domain.errors import KcheckError
    from kcheck.domain.kexec import parse_kexec


def TestOneInput(data: bytes) -> None:
    text = _harness.text_of(data)
    for candidate in (text, "kexec " + text, "kexec -p " + text):
        try:
            command = parse_kexec(candidate, source="fuzz")
        except KcheckError:
            continue
        command.action, command.panic, command.file_syscall  # noqa: B018  properties must not raise


if __name__ == "__main__":
    _harness.run(TestOneInput)
