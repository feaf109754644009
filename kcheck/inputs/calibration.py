"""Read the capture-memory calibration (calibration/capture-memory.toml) into the model.

Each ``[[measurement]]`` is one rehearsal (kernel, initrd, VM, the sizes that
failed and captured) of an architecture and a kind of capture initrd; the one
marked ``fit = true`` for an (arch, kind) gives that pair's base
(:func:`kcheck.domain.capture_memory.fit_base`), the others check the model.
Adding an architecture is a ``[struct_page]`` line and a measurement.
"""

from __future__ import annotations

import functools
import tomllib

from kcheck.domain.capture_memory import KINDS, CaptureMemoryModel, WorkingSet, fit_base
from kcheck.domain.errors import InputError
from kcheck.domain.resources import data_path
from kcheck.domain.units import parse_number

FILE = "capture-memory.toml"
MiB = 1 << 20


def _size(table: dict[str, object], key: str, where: str) -> int:
    value = table.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return parse_number(value)
        except ValueError:
            pass
    raise InputError(FILE, f"{where} {key} must be a size")


def load_calibration(path: str | None = None) -> dict[str, object]:
    """The whole calibration file (the tests read its measurements)."""
    source = path or str(data_path("calibration") / FILE)
    try:
        with open(source, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(source, f"cannot read the capture-memory calibration: {exc}") from None


def model_from(data: dict[str, object]) -> CaptureMemoryModel:
    """The model a parsed calibration file describes; a malformed one is an InputError."""
    model, pages, measurements = data.get("model"), data.get("struct_page"), data.get("measurement")
    if not isinstance(model, dict) or not isinstance(pages, dict) or not isinstance(measurements, list):
        raise InputError(FILE, "a [model] table, a [struct_page] table and [[measurement]]s are needed")
    struct_pages = tuple((arch, _size(pages, arch, "[struct_page]")) for arch in pages)
    sets: dict[tuple[str, str], WorkingSet] = {}
    for m in measurements:
        if not isinstance(m, dict) or not m.get("fit"):
            continue
        name, arch, kind = str(m.get("name")), m.get("arch"), m.get("kind")
        if arch not in pages or kind not in KINDS or kind == "unknown":
            raise InputError(FILE, f"measurement {name!r}: arch {arch!r} needs a [struct_page] line "
                                   f"and kind {kind!r} must be one of {', '.join(KINDS)} but unknown")
        if (arch, kind) in sets:
            raise InputError(FILE, f"measurement {name!r}: a second fit for {arch} {kind}")
        where = f"measurement {name!r}"
        base = fit_base(captured=_size(m, "captured_mb", where) * MiB, struct_page=pages[arch],
                        kernel=_size(m, "init_size", where), initrd_file=_size(m, "initrd_file", where),
                        initrd_unpacked=_size(m, "initrd_unpacked", where))
        sets[(arch, kind)] = WorkingSet(arch, kind, base, name)
    if not sets:
        raise InputError(FILE, "no measurement is marked fit = true")
    return CaptureMemoryModel(working_sets=tuple(sets.values()), struct_pages=struct_pages,
                              margin_min=_size(model, "margin_min", "[model]"),
                              margin_ratio=float(model.get("margin_ratio", 0.25)))  # type: ignore[arg-type]


@functools.cache
def capture_memory_model() -> CaptureMemoryModel:
    """The bundled, measured constants of the capture kernel's run-time memory need."""
    return model_from(load_calibration())
