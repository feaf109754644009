"""Architecture from every source: --arch, config symbols of every era, the image, the header."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcheck.domain import arch
from kcheck.inputs.kconfig import read_config

ROOT = Path(__file__).resolve().parents[3]
OLD = ROOT / "fixtures" / "2.6.13"


def _headless(path: Path) -> dict[str, str]:
    """A 2.6.13 i386 config without its header and first symbols (CONFIG_X86=y, CONFIG_MMU=y ...)."""
    lines = path.read_text().splitlines()
    lines = lines[lines.index("CONFIG_EXPERIMENTAL=y"):]
    values = {}
    for line in lines:
        if line.startswith("CONFIG_"):
            name, _, value = line[7:].partition("=")
            values[name] = value
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            values[line[9:-11]] = "n"
    return values


def test_2_6_13_i386_without_x86_is_found_by_its_own_symbols() -> None:
    values = _headless(OLD / "capture.config")
    assert "X86" not in values and "X86_32" not in values
    found = arch.from_symbols(values.get)
    assert found is not None and found[0] == "i386"
    # Each 2.6.x-only sign on its own is enough: the processor, high-memory and UP APIC choices.
    for symbol in ("M386", "MPENTIUM4", "HIGHMEM4G", "NOHIGHMEM", "X86_UP_APIC"):
        assert arch.from_symbols({symbol: "n"}.get) == ("i386", f"CONFIG_{symbol} (only i386 has it)")
    # X86_PC alone only before 2.6.24 (from then on x86_64 shares the sub-architecture choice)
    assert arch.from_symbols({"X86_PC": "y"}.get) is None
    assert arch.from_symbols({"X86_PC": "y"}.get, before_2_6_24=True)[0] == "i386"


@pytest.mark.parametrize(("values", "expected"), [
    ({"X86_64": "y", "64BIT": "y"}, "x86_64"), ({"X86_32": "y"}, "i386"), ({"X86": "y", "64BIT": "n"}, "i386"),
    ({"ARM64": "y"}, "arm64"), ({"ARM": "y"}, "arm"), ({"PPC64": "y", "CPU_LITTLE_ENDIAN": "y"}, "ppc64le"),
    ({"S390": "y"}, "s390x"), ({"RISCV": "y", "64BIT": "y"}, "riscv64"), ({"IA32_EMULATION": "y"}, "x86_64"),
    ({"ARM64_4K_PAGES": "y"}, "arm64"), ({"ARCH_RV64I": "y"}, "riscv64"), ({"MK8": "y"}, None),
])
def test_symbols_of_each_architecture(values: dict[str, str], expected: str | None) -> None:
    found = arch.from_symbols(values.get)
    assert (found[0] if found else None) == expected


def test_header_alone_and_its_shared_directories() -> None:
    assert arch.from_header("x86", {"64BIT": "y"}.get) == "x86_64"
    assert arch.from_header("x86", {"64BIT": "n"}.get) == "i386"
    assert arch.from_header("x86", {}.get) is None, "Linux/x86 without 64BIT is either"
    assert arch.from_header("i386", {}.get) == "i386" and arch.from_header("arm64", {}.get) == "arm64"


def test_sources_in_order_and_their_conflicts() -> None:
    get = {"X86_64": "y", "64BIT": "y"}.get
    assert arch.detect(None, get, "x86", "x86_64", "the image's ELF machine") == \
        ("x86_64", "config symbols (CONFIG_X86_64=y)", None)
    found, source, conflict = arch.detect(None, get, "x86", "i386", "the image's ELF machine (vmlinux)")
    assert found == "x86_64" and conflict == ("config symbols (CONFIG_X86_64=y) says x86_64, but "
                                              "the image's ELF machine (vmlinux) says i386")
    # The image decides when the config's symbols cannot (a headless, headerless config)
    assert arch.detect(None, {}.get, None, "i386", "image")[:2] == ("i386", "image")
    assert arch.detect(None, {}.get, None, None) == (None, None, None)


def test_config_read_from_a_vmlinux_carries_the_elf_machine(tmp_path: Path) -> None:
    from tests.image_build import link_vmlinux

    headless = "\n".join(f"CONFIG_{k}={v}" if v != "n" else f"# CONFIG_{k} is not set"
                         for k, v in {"SMP": "y", "PROC_FS": "y"}.items()) + "\n"
    vmlinux = link_vmlinux(tmp_path, emulation="elf_i386", ikconfig=headless.encode())
    config = read_config(str(vmlinux))
    assert config.container_arch == "i386" and "ELF machine" in (config.container or "")
