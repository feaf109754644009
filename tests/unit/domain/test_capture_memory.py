"""The capture-memory model against the rehearsals it was calibrated by (calibration/capture-memory.toml)."""

from __future__ import annotations

import pytest

from kcheck.domain.capture_memory import (KINDS, CaptureMemoryModel, NotMeasured, WorkingSet, choose,
                                          comfortable_size, fit_base, need_with, run_need)
from kcheck.domain.errors import InputError
from kcheck.domain.initrd_kind import initrd_kind
from kcheck.domain.text import VALUE_LIMIT
from kcheck.domain.units import parse_number
from kcheck.inputs.calibration import capture_memory_model, load_calibration, model_from

MiB = 1 << 20
CALIBRATION = load_calibration()
MEASUREMENTS = CALIBRATION["measurement"]


def _model(*sets: tuple[str, str, int]) -> CaptureMemoryModel:
    return CaptureMemoryModel(tuple(WorkingSet(arch, kind, base * MiB, f"{arch} {kind}") for arch, kind, base in sets),
                              struct_pages=(("x86_64", 64), ("i386", 32)))


def test_every_measurement_says_how_it_was_measured():
    assert MEASUREMENTS
    for m in MEASUREMENTS:
        for key in ("kernel", "initrd", "vm", "trials", "measured"):
            assert isinstance(m[key], str) and m[key], (m["name"], key)
        assert m["failed_mb"] < m["captured_mb"]
        assert m["kind"] in KINDS and m["kind"] != "unknown", m["name"]
        assert m["arch"] in CALIBRATION["struct_page"], m["name"]


def test_every_arch_and_kind_measured_has_one_fitted_base():
    fitted = [(m["arch"], m["kind"]) for m in MEASUREMENTS if m.get("fit")]
    assert len(fitted) == len(set(fitted))
    assert set(fitted) == {(m["arch"], m["kind"]) for m in MEASUREMENTS}
    assert {(ws.arch, ws.kind) for ws in capture_memory_model().working_sets} == set(fitted)


@pytest.mark.parametrize("measurement", MEASUREMENTS, ids=[m["name"] for m in MEASUREMENTS])
def test_static_minimum_is_never_below_the_rehearsed_one(measurement):
    """Above every size that failed in a rehearsal, at most static_margin above one that captured,
    with the measurement's own architecture and kind of initrd."""
    need = run_need(capture_memory_model(), arch=measurement["arch"], kind=measurement["kind"],
                    kernel=measurement["init_size"], initrd_file=measurement["initrd_file"],
                    initrd_unpacked=measurement["initrd_unpacked"])
    margin = parse_number(CALIBRATION["model"]["static_margin"])
    assert measurement["kind"] in need.working_set
    assert need.minimum > measurement["failed_mb"] * MiB, need
    assert need.minimum <= measurement["captured_mb"] * MiB + margin, need


def test_the_fitted_base_gives_back_the_rehearsed_minimum():
    base = fit_base(captured=92 * MiB, struct_page=64, kernel=66682880, initrd_file=2857999, initrd_unpacked=6111232)
    assert base == 19308544   # the probe's 18.4M, as fitted before kinds existed
    assert need_with(base, 64, kernel=66682880, initrd_file=2857999, initrd_unpacked=6111232) == 92 * MiB
    assert need_with(base, 64, kernel=66682880, initrd_file=2857999, initrd_unpacked=6111232 + 4096) == 93 * MiB


def test_struct_pages_follow_the_architecture():
    model = _model(("x86_64", "probe", 16), ("i386", "probe", 16))
    sizes = {"kernel": 200 * MiB, "initrd_file": 0, "initrd_unpacked": 0}
    x86_64 = run_need(model, arch="x86_64", kind="probe", **sizes)
    i386 = run_need(model, arch="i386", kind="probe", **sizes)
    assert x86_64.struct_pages == x86_64.minimum // 64 and i386.struct_pages == i386.minimum // 128
    assert i386.minimum < x86_64.minimum


def test_the_need_grows_with_the_initrd_and_counts_it_twice():
    model = _model(("x86_64", "probe", 16))
    small = run_need(model, arch="x86_64", kind="probe", kernel=64 * MiB, initrd_file=4 * MiB,
                     initrd_unpacked=12 * MiB)
    big = run_need(model, arch="x86_64", kind="probe", kernel=64 * MiB, initrd_file=44 * MiB,
                   initrd_unpacked=52 * MiB)
    # 40M more compressed and 40M more unpacked: 80M more, plus the struct pages for it
    assert 80 * MiB < big.minimum - small.minimum <= 82 * MiB
    assert small.minimum % MiB == 0
    assert small.struct_pages == small.minimum // 64


def test_comfortable_is_a_margin_above_the_need():
    model = _model(("x86_64", "probe", 16))
    need = run_need(model, arch="x86_64", kind="probe", kernel=64 * MiB, initrd_file=0, initrd_unpacked=0)
    assert need.comfortable == comfortable_size(model, need.minimum)
    assert need.comfortable >= need.minimum + 32 * MiB and need.comfortable % (16 * MiB) == 0


def test_a_measured_kind_takes_its_own_working_set():
    model = _model(("x86_64", "probe", 18), ("x86_64", "kdump-tools", 60))
    choice = choose(model, "x86_64", "kdump-tools")
    assert choice.needed == choice.comfortable and choice.needed.base == 60 * MiB
    assert choose(model, "x86_64", "probe").needed.base == 18 * MiB


def test_unknown_errs_with_the_lightest_and_warns_with_the_heaviest():
    model = _model(("x86_64", "probe", 18), ("x86_64", "kdump-tools", 60), ("i386", "probe", 14))
    choice = choose(model, "x86_64", "unknown", "no probe, dracut kdump or initramfs-tools files")
    assert (choice.needed.kind, choice.comfortable.kind) == ("probe", "kdump-tools")
    assert "lightest" in choice.why and "heaviest" in choice.why and "initramfs-tools files" in choice.why
    need = run_need(model, arch="x86_64", kind="unknown", kernel=64 * MiB, initrd_file=0, initrd_unpacked=0)
    light = run_need(model, arch="x86_64", kind="probe", kernel=64 * MiB, initrd_file=0, initrd_unpacked=0)
    heavy = run_need(model, arch="x86_64", kind="kdump-tools", kernel=64 * MiB, initrd_file=0, initrd_unpacked=0)
    assert need.minimum == light.minimum and need.comfortable == heavy.comfortable
    # only i386's own working sets count there
    assert choose(model, "i386", "unknown").needed.arch == "i386"


def test_a_kind_unmeasured_on_the_arch_warns_with_its_other_arch_measurement():
    model = _model(("x86_64", "probe", 18), ("x86_64", "kdump-tools", 60), ("i386", "probe", 14))
    choice = choose(model, "i386", "kdump-tools")
    assert choice.needed.arch == "i386" and choice.needed.kind == "probe"
    assert (choice.comfortable.arch, choice.comfortable.kind) == ("x86_64", "kdump-tools")
    assert "working set kdump-tools not measured on i386" in choice.why and "(kdump-tools on x86_64)" in choice.why


def test_an_arch_never_rehearsed_is_not_judged():
    with pytest.raises(NotMeasured, match="arm64"):
        run_need(_model(("x86_64", "probe", 18)), arch="arm64", kind="probe", kernel=1, initrd_file=0,
                 initrd_unpacked=0)


def test_adding_an_arch_is_a_toml_record():
    data = {**CALIBRATION, "struct_page": {**CALIBRATION["struct_page"], "riscv64": 64},
            "measurement": [*MEASUREMENTS, {"name": "riscv64 probe", "arch": "riscv64", "kind": "probe", "fit": True,
                                            "init_size": 40 * MiB, "initrd_file": 3 * MiB,
                                            "initrd_unpacked": 6 * MiB, "captured_mb": 80}]}
    need = run_need(model_from(data), arch="riscv64", kind="probe", kernel=40 * MiB, initrd_file=3 * MiB,
                    initrd_unpacked=6 * MiB)
    assert need.minimum == 80 * MiB


@pytest.mark.parametrize("change, words", [
    ({"struct_page": {"x86_64": 64}}, "needs a \\[struct_page\\] line"),
    ({"measurement": [{**MEASUREMENTS[0], "kind": "busybox"}]}, "kind 'busybox'"),
    ({"measurement": [MEASUREMENTS[0], MEASUREMENTS[0]]}, "a second fit"),
    ({"measurement": [{**MEASUREMENTS[0], "captured_mb": "lots"}]}, "captured_mb must be a size"),
    ({"model": None}, "a \\[model\\] table"),
])
def test_a_malformed_calibration_is_one_error(change, words):
    with pytest.raises(InputError, match=words):
        model_from({**CALIBRATION, **change})


@pytest.mark.parametrize("markers, init", [(frozenset(), None), (frozenset({"dracut"}), None),
                                           (frozenset({"dracut", "kdump-utils"}), None),
                                           (frozenset({"initramfs-tools-conf", "initramfs-tools-scripts"}), None)])
@pytest.mark.parametrize("arch", ["x86_64", "i386"])
def test_the_values_a_finding_shows_are_whole(markers, init, arch):
    """Findings abbreviate values over VALUE_LIMIT characters: the terms and the working set stay readable."""
    kind, why = initrd_kind(markers, init)
    need = run_need(capture_memory_model(), arch=arch, kind=kind, kernel=166 * MiB, initrd_file=150 * MiB,
                    initrd_unpacked=900 * MiB, kind_why=why)
    assert len(need.describe()) <= VALUE_LIMIT and len(need.working_set) <= VALUE_LIMIT, need
    assert need.working_set.startswith(f"working set {kind} ({why})")
