"""Fuzz the preflight host-file parsers: /proc/iomem, shell settings, kdump.conf, image sizes.

They promise never to raise (unparsable lines become warnings or skipped
line numbers), so nothing is caught.
"""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.inputs.imagesize import image_memory
    from kcheck.inputs.iomem import parse_iomem
    from kcheck.inputs.shellconf import parse_kdump_conf, parse_shell_vars


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    text = data[1:].decode("utf-8", "replace")
    which = data[0] % 4
    if which == 0:
        iomem = parse_iomem(text)
        iomem.system_ram, iomem.crash_main, iomem.zeroed  # noqa: B018
    elif which == 1:
        parse_shell_vars(text, {"KDUMP_KERNEL": "/boot/vmlinuz"})
    elif which == 2:
        parse_kdump_conf(text)
    else:
        image_memory(data[1:], len(data))  # the capture image's head, as preflight reads it


if __name__ == "__main__":
    _harness.run(TestOneInput)
