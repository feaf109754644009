"""Fuzz the manifest loader (TOML + schema + path resolution)."""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    from kcheck.app.batch import check_target, BatchOptions, load_manifest
    from kcheck.domain.errors import KcheckError


def TestOneInput(data: bytes) -> None:
    try:
        targets = load_manifest(_harness.as_file(data, "manifest.toml"))
    except KcheckError:
        return
    for target in targets[:2]:
        check_target(target, BatchOptions())  # an unreadable target is a TargetReport, never an exception


if __name__ == "__main__":
    _harness.run(TestOneInput)
