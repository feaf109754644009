"""Fuzz the waiver file loader (TOML + schema + dates)."""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.domain.errors import KcheckError
    import kcheck.inputs.validate  # noqa: F401  imported lazily by load_waivers
    from kcheck.app.waivers import load_waivers


def TestOneInput(data: bytes) -> None:
    try:
        load_waivers(_harness.as_file(data, "waivers.toml"))
    except KcheckError:
        pass


if __name__ == "__main__":
    _harness.run(TestOneInput)
