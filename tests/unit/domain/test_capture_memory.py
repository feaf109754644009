"""The capture-memory model against the rehearsals it was calibrated by (calibration/capture-memory.toml)."""

from __future__ import annotations

import pytest

from kcheck.domain.capture_memory import CaptureMemoryModel, comfortable_size, run_need
from kcheck.domain.units import parse_number
from kcheck.inputs.calibration import capture_memory_model, load_calibration

MiB = 1 << 20
CALIBRATION = load_calibration()
MEASUREMENTS = CALIBRATION["measurement"]


def test_every_measurement_says_how_it_was_measured():
    assert MEASUREMENTS
    for m in MEASUREMENTS:
        for key in ("kernel", "initrd", "vm", "trials", "measured"):
            assert isinstance(m[key], str) and m[key], (m["name"], key)
        assert m["failed_mb"] < m["captured_mb"]


@pytest.mark.parametrize("measurement", MEASUREMENTS, ids=[m["name"] for m in MEASUREMENTS])
def test_static_minimum_is_never_below_the_rehearsed_one(measurement):
    """Above every size that failed in a rehearsal, at most static_margin above one that captured."""
    need = run_need(capture_memory_model(), kernel=measurement["init_size"],
                    initrd_file=measurement["initrd_file"], initrd_unpacked=measurement["initrd_unpacked"])
    margin = parse_number(CALIBRATION["model"]["static_margin"])
    assert need.minimum > measurement["failed_mb"] * MiB, need
    assert need.minimum <= measurement["captured_mb"] * MiB + margin, need


def test_the_need_grows_with_the_initrd_and_counts_it_twice():
    model = CaptureMemoryModel(base=16 * MiB)
    small = run_need(model, kernel=64 * MiB, initrd_file=4 * MiB, initrd_unpacked=12 * MiB)
    big = run_need(model, kernel=64 * MiB, initrd_file=44 * MiB, initrd_unpacked=52 * MiB)
    # 40M more compressed and 40M more unpacked: 80M more, plus the struct pages for it
    assert 80 * MiB < big.minimum - small.minimum <= 82 * MiB
    assert small.minimum % MiB == 0
    assert small.struct_pages == small.minimum // 64


def test_comfortable_is_a_margin_above_the_need():
    model = CaptureMemoryModel(base=16 * MiB)
    need = run_need(model, kernel=64 * MiB, initrd_file=0, initrd_unpacked=0)
    comfortable = comfortable_size(model, need)
    assert comfortable >= need.minimum + 32 * MiB and comfortable % (16 * MiB) == 0
