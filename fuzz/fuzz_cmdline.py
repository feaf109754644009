"""Fuzz the boot command line tokenizer and crashkernel= find/resolve.

parse_cmdline, find_crashkernel and resolve_crashkernel promise never to
raise at all, so no exception is caught here.
"""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.domain.cmdline import parse_cmdline
    from kcheck.domain.arch import ARCHES
    from kcheck.domain.crashkernel import find_crashkernel, resolve_crashkernel
    from kcheck.domain.version import KernelVersion

VERSIONS = (None, "2.6.13", "2.6.27", "3.9", "5.19", "6.1", "6.7", "6.12", "6.17")


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    version_text = VERSIONS[fdp.ConsumeIntInRange(0, len(VERSIONS) - 1)]
    arch = (None, *ARCHES)[fdp.ConsumeIntInRange(0, len(ARCHES))]
    memory = fdp.ConsumeIntInRange(0, 1 << 44) if fdp.ConsumeBool() else None
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    version = KernelVersion.parse(version_text) if version_text else None
    parsed = parse_cmdline(text)
    for param in parsed.params:
        assert 0 <= param.start < param.end <= len(text)
    find_crashkernel(text, version=version)
    resolve_crashkernel(text, version=version, arch=arch, memory=memory)


if __name__ == "__main__":
    _harness.run(TestOneInput)
