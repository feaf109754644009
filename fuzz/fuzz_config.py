"""Fuzz the kernel .config reader: plain text, gzip, and the image fallback."""

from __future__ import annotations

import _harness  # sets sys.path first
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.domain.errors import KcheckError
    import kcheck.inputs.image  # noqa: F401  read_config imports it lazily for images
    from kcheck.inputs.kconfig import parse_config_text, read_config


def TestOneInput(data: bytes) -> None:
    try:
        config = read_config(_harness.as_file(data, "config"))
    except KcheckError:
        pass
    else:
        assert config.values, "read_config returned a config without symbols"
    try:
        parse_config_text(_harness.text_of(data), "text")
    except KcheckError:
        pass


if __name__ == "__main__":
    _harness.run(TestOneInput)
