"""Read the capture-memory calibration (calibration/capture-memory.toml) into the model."""

from __future__ import annotations

import functools
import tomllib

from kcheck.domain.capture_memory import CaptureMemoryModel
from kcheck.domain.errors import InputError
from kcheck.domain.resources import data_path
from kcheck.domain.units import parse_number

FILE = "capture-memory.toml"


def _size(table: dict[str, object], key: str, source: str) -> int:
    value = table.get(key)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return parse_number(value)
    raise InputError(source, f"[model] {key} must be a size")


def load_calibration(path: str | None = None) -> dict[str, object]:
    """The whole calibration file (the tests read its measurements)."""
    source = path or str(data_path("calibration") / FILE)
    try:
        with open(source, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(source, f"cannot read the capture-memory calibration: {exc}") from None


@functools.cache
def capture_memory_model() -> CaptureMemoryModel:
    """The bundled, measured constants of the capture kernel's run-time memory need."""
    data = load_calibration()
    model = data.get("model")
    source = FILE
    if not isinstance(model, dict):
        raise InputError(source, "no [model] table")
    return CaptureMemoryModel(base=_size(model, "base", source), struct_page=_size(model, "struct_page", source),
                              margin_min=_size(model, "margin_min", source),
                              margin_ratio=float(model.get("margin_ratio", 0.25)))
