"""Dependency-aware resolution on the project's 2.6.13 i386 model tree (fixtures/kconfig)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcheck.kconfig.resolve import apply_fragment, resolve
from kcheck.kconfig.tree import load_kconfig
from tests.conftest import ROOT

TREE = ROOT / "fixtures" / "kconfig" / "linux-2.6.13-i386"
SMP_BASE = str(TREE / "smp-nohighmem.config")
CAPTURE = str(TREE / "capture.config")


@pytest.fixture(scope="module")
def kconf():
    return load_kconfig(str(TREE), "i386", use_cache=False)


def test_crash_dump_on_smp_nohighmem_base_brings_its_dependencies(kconf) -> None:
    r = resolve(kconf, SMP_BASE, {"CONFIG_CRASH_DUMP": "y"})
    assert r.assignments == {"CRASH_DUMP": "y", "EMBEDDED": "y", "EXPERIMENTAL": "y", "HIGHMEM4G": "y"}
    assert r.reasons == {
        "EMBEDDED": "CONFIG_CRASH_DUMP needs CONFIG_EMBEDDED; CONFIG_EMBEDDED=n in smp-nohighmem.config",
        "EXPERIMENTAL": "CONFIG_CRASH_DUMP needs CONFIG_EXPERIMENTAL; CONFIG_EXPERIMENTAL=n in smp-nohighmem.config",
        "HIGHMEM4G": "CONFIG_CRASH_DUMP needs CONFIG_HIGHMEM (choice 'High Memory Support': CONFIG_HIGHMEM4G=y)",
    }
    assert r.unresolved == {} and r.ok
    for name, value in r.assignments.items():
        assert r.values[name] == value
    # Consequences the user should see: the HIGHMEM model flips, PHYSICAL_START's
    # `default "0x1000000" if CRASH_DUMP` and PROC_VMCORE's `default y` apply.
    assert r.changed["NOHIGHMEM"] == ("y", "n")
    assert r.changed["PHYSICAL_START"] == ("0x100000", "0x1000000")
    assert r.changed["PROC_VMCORE"] == ("n", "y")
    assert r.lines == ("CONFIG_CRASH_DUMP=y", "CONFIG_EMBEDDED=y", "CONFIG_EXPERIMENTAL=y", "CONFIG_HIGHMEM4G=y")


def test_x86_up_apic_turns_smp_off(kconf) -> None:
    r = resolve(kconf, SMP_BASE, {"X86_UP_APIC": "y", "X86_UP_IOAPIC": "y"})
    assert r.assignments == {"X86_UP_APIC": "y", "X86_UP_IOAPIC": "y", "SMP": "n"}
    assert r.reasons == {"SMP": "CONFIG_X86_UP_APIC needs !CONFIG_SMP; CONFIG_SMP=y in smp-nohighmem.config"}
    assert "# CONFIG_SMP is not set" in r.lines
    assert r.values["SMP"] == "n" and r.values["X86_UP_IOAPIC"] == "y"
    assert r.unresolved == {}


def test_conflicting_requests_are_reported_not_dropped(kconf) -> None:
    r = resolve(kconf, CAPTURE, {"X86_UP_APIC": "y", "SMP": "y"})
    assert r.unresolved == {
        "X86_UP_APIC": "CONFIG_X86_UP_APIC needs !CONFIG_SMP, which conflicts with CONFIG_SMP=y (requested)"
    }
    assert r.assignments == {"SMP": "y"}  # the line that would not stick is not written
    assert r.values.get("X86_UP_APIC", "n") == "n"  # invisible: absent from .config


def test_architecture_bound_request_is_explained(kconf) -> None:
    r = resolve(kconf, SMP_BASE, {"KEXEC_FILE": "y", "NO_SUCH_OPTION": "y"})
    assert r.unresolved["KEXEC_FILE"] == "CONFIG_KEXEC_FILE needs CONFIG_X86_64, which is n on this architecture"
    assert "not defined in this Kconfig tree" in r.unresolved["NO_SUCH_OPTION"]
    assert r.reasons == {}


def test_hex_option_made_visible_by_its_prompt_condition(kconf) -> None:
    # PHYSICAL_START is `hex "..." if (EMBEDDED || CRASH_DUMP)`: the cheaper
    # alternative (one assignment) is EMBEDDED.
    r = resolve(kconf, SMP_BASE, {"PHYSICAL_START": "0x1000000"})
    assert r.assignments == {"PHYSICAL_START": "0x1000000", "EMBEDDED": "y"}
    assert r.values["PHYSICAL_START"] == "0x1000000"
    bad = resolve(kconf, CAPTURE, {"PHYSICAL_START": "0xnothex"})
    assert "not a valid hex value" in bad.unresolved["PHYSICAL_START"]


def test_deselecting_a_choice_member_selects_another_one(kconf) -> None:
    # NOHIGHMEM and HIGHMEM64G both cost one line; NOHIGHMEM touches fewer
    # symbols (HIGHMEM64G also selects X86_PAE).
    r = resolve(kconf, CAPTURE, {"HIGHMEM4G": "n"})
    assert r.assignments == {"HIGHMEM4G": "n", "NOHIGHMEM": "y"}
    assert r.values.get("CRASH_DUMP", "n") == "n"  # a consequence, reported in changed
    assert r.changed["CRASH_DUMP"] == ("y", "n")
    r = resolve(kconf, CAPTURE, {"HIGHMEM4G": "n", "CRASH_DUMP": "y"})
    assert r.assignments == {"HIGHMEM4G": "n", "CRASH_DUMP": "y", "HIGHMEM64G": "y"}
    assert r.values["X86_PAE"] == "y" and r.unresolved == {}


def test_module_value_needs_modules(kconf) -> None:
    r = resolve(kconf, CAPTURE, {"EXT3_FS": "m", "KEXEC": "m"})
    assert r.values["EXT3_FS"] == "m"
    assert "is a bool" in r.unresolved["KEXEC"]


def test_apply_fragment_is_merge_config_plus_olddefconfig(kconf) -> None:
    values = apply_fragment(kconf, CAPTURE, {"SMP": "y", "DEBUG_KERNEL": "n"})
    assert values["SMP"] == "y"
    assert values.get("X86_UP_APIC", "n") == "n"  # base line dropped by olddefconfig: !SMP unmet
    assert "DEBUG_INFO" not in values  # its dependency went away: not written at all
    assert values["CRASH_DUMP"] == "y"
    defaults = apply_fragment(kconf, None, {})
    assert defaults["NOHIGHMEM"] == "y" and defaults["PROC_FS"] == "y"


BOOLS = ["EXPERIMENTAL", "EMBEDDED", "SMP", "X86_UP_APIC", "X86_UP_IOAPIC", "NOHIGHMEM", "HIGHMEM4G",
         "HIGHMEM64G", "KEXEC", "CRASH_DUMP", "DEBUG_KERNEL", "DEBUG_INFO", "PROC_VMCORE", "KEXEC_FILE", "SYSFS"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.sampled_from([SMP_BASE, CAPTURE, None]),
    req=st.dictionaries(st.sampled_from(BOOLS), st.sampled_from(["y", "n"]), min_size=1, max_size=4),
)
def test_nothing_is_silently_dropped(kconf, base: str | None, req: dict[str, str]) -> None:
    """Every fragment line reads back after olddefconfig; every other request is in `unresolved`."""
    r = resolve(kconf, base, req)
    for name in req:
        assert (name in r.assignments) != (name in r.unresolved), (name, r)
    for name, value in r.assignments.items():
        got = r.values.get(name, "n")
        assert got == value, (name, value, got, r)
    for name in r.reasons:
        assert name in r.assignments and name not in req
    # Independent re-application gives the same .config.
    assert apply_fragment(kconf, base, r.assignments) == r.values
