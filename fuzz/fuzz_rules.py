"""Fuzz the user rule file loader: TOML, schema validation, predicate compilation."""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.engine.loader import load_rules
    from kcheck.errors import KcheckError


def TestOneInput(data: bytes) -> None:
    try:
        load_rules([_harness.as_file(data, "rules.toml")], bundled=False)
    except KcheckError:
        pass


if __name__ == "__main__":
    _harness.run(TestOneInput)
