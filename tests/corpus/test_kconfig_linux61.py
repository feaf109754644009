"""The real Linux 6.1 Kconfig (Debian linux-source-6.1, fetched by .ci/fetch-kernel-source).

Skipped with a reason when $KCHECK_CORPUS/linux-6.1 (default ~/.cache/kcheck/corpus) is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kcheck.kconfig import tree
from kcheck.kconfig.kbuild import compare, missing_host_tools, read_dotconfig, verify_with_kbuild
from kcheck.kconfig.resolve import resolve
from kcheck.kconfig.tree import load_kconfig

CORPUS = Path(os.environ.get("KCHECK_CORPUS") or Path.home() / ".cache" / "kcheck" / "corpus")
SRC = CORPUS / "linux-6.1"

pytestmark = pytest.mark.skipif(
    not (SRC / ".kcheck-source-stamp").is_file(),
    reason=f"Linux 6.1 Kconfig tree not found at {SRC}; run .ci/fetch-kernel-source",
)


def tree_state(root: Path) -> dict[str, int]:
    return {str(p): p.lstat().st_mtime_ns for p in root.rglob("*")}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("kconfig-cache"))


@pytest.fixture(scope="module")
def kconf(cache_dir: str):
    return load_kconfig(str(SRC), "i386", cache_dir=cache_dir)


@pytest.fixture(scope="module")
def nohighmem_base(kconf, tmp_path_factory) -> str:
    """An i386 config with NOHIGHMEM: the tree's i386_defconfig with the HIGHMEM choice moved."""
    path = tmp_path_factory.mktemp("base") / "i386-nohighmem.config"
    kconf.load_config(str(SRC / "arch/x86/configs/i386_defconfig"))
    kconf.syms["NOHIGHMEM"].set_value("y")
    kconf.write_config(str(path), save_old=False)
    return str(path)


def test_parse_i386(kconf) -> None:
    kconf.load_config(str(SRC / "arch/x86/configs/i386_defconfig"))
    assert kconf.syms["64BIT"].str_value == "n" and kconf.syms["X86_32"].str_value == "y"
    assert kconf.modules is kconf.syms["MODULES"]  # the bare `modules` line was understood
    assert len(kconf.unique_defined_syms) > 15000
    # OBJCOPY and CC_VERSION_TEXT reached the probes the way the Makefile exports them
    assert kconf.syms["CC_VERSION_TEXT"].str_value.startswith("gcc")
    assert kconf.syms["CC_IS_GCC"].str_value == "y"


def test_second_load_comes_from_the_cache(cache_dir: str, kconf) -> None:
    """The cache is used (bench/bench_fix.py measures what it saves)."""
    again = load_kconfig(str(SRC), "i386", cache_dir=cache_dir)
    assert tree.last_load.cache_hit
    assert len(again.unique_defined_syms) == len(kconf.unique_defined_syms)


def test_crash_dump_on_nohighmem_brings_highmem4g(kconf, nohighmem_base: str) -> None:
    kconf.load_config(nohighmem_base)
    assert kconf.syms["CRASH_DUMP"].str_value == "n"  # `depends on X86_64 || (X86_32 && HIGHMEM)`
    r = resolve(kconf, nohighmem_base, {"CRASH_DUMP": "y", "PROC_VMCORE": "y"})
    assert r.unresolved == {}
    assert r.assignments == {"CRASH_DUMP": "y", "PROC_VMCORE": "y", "HIGHMEM4G": "y"}
    assert r.reasons["HIGHMEM4G"] == (
        "CONFIG_CRASH_DUMP needs CONFIG_HIGHMEM (choice 'High Memory Support': CONFIG_HIGHMEM4G=y)"
    )
    assert r.changed["NOHIGHMEM"] == ("y", "n") and r.changed["HIGHMEM"] == ("n", "y")


def test_x86_up_apic_explains_smp_and_pci_msi(kconf, nohighmem_base: str) -> None:
    # 6.1: X86_UP_APIC is `bool "..." if !PCI_MSI`, `depends on X86_32 && !SMP && !X86_32_NON_STANDARD`
    r = resolve(kconf, nohighmem_base, {"X86_UP_APIC": "y"})
    assert r.unresolved == {}
    assert r.reasons["SMP"] == "CONFIG_X86_UP_APIC needs !CONFIG_SMP; CONFIG_SMP=y in i386-nohighmem.config"
    assert r.assignments["SMP"] == "n"
    assert len(r.changed) > 20  # NR_CPUS, HOTPLUG_CPU, ... follow SMP


def test_64bit_only_option_is_unresolved_on_i386(kconf, nohighmem_base: str) -> None:
    r = resolve(kconf, nohighmem_base, {"KEXEC_FILE": "y"})
    assert r.unresolved == {"KEXEC_FILE": "CONFIG_KEXEC_FILE needs CONFIG_X86_64, which is n on this architecture"}


@pytest.mark.skipif(bool(missing_host_tools()), reason=f"host tools missing: {missing_host_tools()}")
def test_fragment_survives_the_kernels_own_olddefconfig(kconf, nohighmem_base: str) -> None:
    before = tree_state(SRC)
    r = resolve(kconf, nohighmem_base, {"CRASH_DUMP": "y", "KEXEC": "y"})
    kb = verify_with_kbuild(str(SRC), "i386", nohighmem_base, r.assignments, lines=r.lines)
    for name, value in r.assignments.items():
        assert kb.get(name) == value, name
    assert kb["HIGHMEM4G"] == "y" and kb.get("NOHIGHMEM", "n") == "n"
    # kconfiglib and the kernel agree on the whole resulting .config for 6.1
    assert compare(r.values, kb) == {}
    # control: without the fragment's HIGHMEM4G line the kernel drops CRASH_DUMP again
    kb2 = verify_with_kbuild(str(SRC), "i386", nohighmem_base, {"CRASH_DUMP": "y"})
    assert kb2.get("CRASH_DUMP", "n") == "n"
    assert tree_state(SRC) == before  # O= only: the source tree was not written
    assert read_dotconfig(nohighmem_base)["NOHIGHMEM"] == "y"
