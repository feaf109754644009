"""The real Linux 6.12 Kconfig (Debian linux-source-6.12, fetched by .ci/fetch-kernel-source).

What 6.12 asks of the resolver beyond 6.1: CRASH_DUMP depends on the
promptless ARCH_SUPPORTS_CRASH_DUMP (an expression), arm64's KEXEC on the
promptless ARCH_SUPPORTS_KEXEC = PM_SLEEP_SMP, and choices follow the 6.11+
rules.  The kernel's own olddefconfig (tests/kbuild.py) is the reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kcheck.domain.arch import NO_KDUMP
from kcheck.kconfig.kbuild import compare, read_dotconfig
from kcheck.kconfig.resolve import apply_fragment, resolve
from kcheck.kconfig.tree import ARCHES, load_kconfig
from tests.kbuild import Kbuild, edit, missing_tools, tree

pytestmark = pytest.mark.skipif(bool(missing_tools()), reason=f"host tools missing: {missing_tools()}")


@pytest.fixture(scope="module")
def src() -> Path:
    return tree("6.12")


@pytest.fixture(scope="module")
def kbuild(tmp_path_factory: pytest.TempPathFactory) -> Kbuild:
    return Kbuild(tmp_path_factory.mktemp("kbuild"))


@pytest.fixture(scope="module")
def i386(src: Path, tmp_path_factory: pytest.TempPathFactory):
    return load_kconfig(str(src), "i386", cache_dir=str(tmp_path_factory.mktemp("kconfig-cache")))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _kernel(kbuild: Kbuild, src: Path, karch: str, text: str, tmp_path: Path) -> dict[str, str]:
    return read_dotconfig(str(_write(tmp_path, "kbuild.config", kbuild.olddefconfig(src, karch, text))))


def test_whole_config_agrees_with_the_kernel_including_hidden_choices(src, kbuild, i386, tmp_path) -> None:
    """6.12 olddefconfig writes VMSPLIT_3G=y behind `prompt "Memory split" if EXPERT` with EXPERT=n."""
    base = kbuild.defconfig(src, "i386", "i386_defconfig")
    path = _write(tmp_path, "i386.config", base)
    ours = apply_fragment(i386, str(path), {})
    assert ours["VMSPLIT_3G"] == "y" and ours["EXPERT"] == "n"
    assert compare(ours, read_dotconfig(str(path))) == {}


def test_a_rejected_choice_default_follows_the_611_rules(src, kbuild, i386, tmp_path) -> None:
    """HIGHMEM64G=y on a 486 (no PAE) and `# CONFIG_HIGHMEM4G is not set`: the kernel takes NOHIGHMEM."""
    base = kbuild.defconfig(src, "i386", "i386_defconfig")
    text = edit(base, {"M686": "n", "M486": "y", "HIGHMEM64G": "y", "HIGHMEM4G": "n", "NOHIGHMEM": "n"})
    path = _write(tmp_path, "486.config", text)
    kernel = _kernel(kbuild, src, "i386", text, tmp_path)
    assert kernel["NOHIGHMEM"] == "y" and "CRASH_DUMP" not in kernel
    ours = apply_fragment(i386, str(path), {})
    assert compare(ours, kernel) == {}
    # The control: kconfiglib 14.1.0's own rule keeps the rejected default, and CRASH_DUMP with it.
    i386.choice_rules_611 = False
    try:
        plain = apply_fragment(i386, str(path), {})
    finally:
        i386.choice_rules_611 = True
    assert plain["HIGHMEM4G"] == "y" and plain["CRASH_DUMP"] == "y"
    # So fix must write HIGHMEM4G=y, and the kernel keeps every line.
    r = resolve(i386, str(path), {"CRASH_DUMP": "y"})
    assert r.unresolved == {} and r.assignments["HIGHMEM4G"] == "y"
    merged = read_dotconfig(str(_write(tmp_path, "merged.config", kbuild.merge(src, "i386", text, "\n".join(r.lines)))))
    assert {n: merged.get(n, "n") for n in r.assignments} == r.assignments
    assert compare(r.values, merged) == {}


def test_crash_dump_through_the_promptless_arch_supports_crash_dump(src, kbuild, i386, tmp_path) -> None:
    base = kbuild.defconfig(src, "i386", "i386_defconfig")
    text = kbuild.olddefconfig(src, "i386", edit(base, {"HIGHMEM4G": "n", "NOHIGHMEM": "y", "CRASH_DUMP": "n"}))
    path = _write(tmp_path, "nohighmem.config", text)
    r = resolve(i386, str(path), {"CRASH_DUMP": "y", "PROC_VMCORE": "y"})
    assert r.unresolved == {}
    assert r.assignments == {"CRASH_DUMP": "y", "PROC_VMCORE": "y", "HIGHMEM4G": "y"}
    assert r.reasons["HIGHMEM4G"] == (
        "CONFIG_CRASH_DUMP needs CONFIG_ARCH_SUPPORTS_CRASH_DUMP = CONFIG_X86_64 || (CONFIG_X86_32 && "
        "CONFIG_HIGHMEM) (choice 'High Memory Support': CONFIG_HIGHMEM4G=y)")
    merged = read_dotconfig(str(_write(tmp_path, "merged.config", kbuild.merge(src, "i386", text, "\n".join(r.lines)))))
    assert compare(r.values, merged) == {}  # the whole .config, not only the fragment's symbols
    # Control: without HIGHMEM4G the kernel drops CRASH_DUMP again.
    alone = kbuild.merge(src, "i386", text, "CONFIG_CRASH_DUMP=y\n")
    assert "CONFIG_CRASH_DUMP=y" not in alone


def test_arm64_kexec_follows_pm_sleep_smp(src, kbuild, tmp_path) -> None:
    kconf = load_kconfig(str(src), "arm64", cache_dir=str(tmp_path / "cache"))
    base = kbuild.defconfig(src, "arm64", "defconfig")
    text = kbuild.olddefconfig(src, "arm64", edit(base, {"SUSPEND": "n", "HIBERNATION": "n", "KEXEC": "n",
                                                           "KEXEC_FILE": "n", "CRASH_DUMP": "n"}))
    path = _write(tmp_path, "arm64.config", text)
    r = resolve(kconf, str(path), {"KEXEC": "y", "CRASH_DUMP": "y"})
    assert r.unresolved == {} and {"KEXEC", "CRASH_DUMP"} <= set(r.assignments)
    (sleep,) = {"SUSPEND", "HIBERNATION"} & set(r.assignments)  # PM_SLEEP: either one is a right fix
    assert r.reasons[sleep] == ("CONFIG_KEXEC needs CONFIG_ARCH_SUPPORTS_KEXEC = CONFIG_PM_SLEEP_SMP; "
                                f"CONFIG_{sleep}=n in arm64.config")
    merged = kbuild.merge(src, "arm64", text, "\n".join(r.lines))
    assert {"CONFIG_KEXEC=y", "CONFIG_CRASH_DUMP=y", f"CONFIG_{sleep}=y", "CONFIG_PM_SLEEP_SMP=y"} <= set(
        merged.splitlines())


def test_the_no_kdump_table_matches_the_tree(src: Path) -> None:
    """kcheck.domain.arch.NO_KDUMP is exactly the arch/ directories without ARCH_SUPPORTS_CRASH_DUMP."""
    defines = re.compile(r"^config ARCH_SUPPORTS_CRASH_DUMP\b", re.M)
    without = {d.name for d in (src / "arch").iterdir() if d.is_dir() and (d / "Kconfig").is_file()
               and not defines.search((d / "Kconfig").read_text())}
    srcarch = {name: ARCHES[name][1] for name in NO_KDUMP}
    assert set(srcarch.values()) == without
    kdump = {ARCHES[name][1] for name in ARCHES if name not in NO_KDUMP}
    assert kdump & without == set()


@pytest.mark.parametrize("arch", ["ppc64le", "s390x", "loongarch64", "mips64", "sh"])
def test_every_other_kdump_architecture_loads(src: Path, arch: str, tmp_path_factory) -> None:
    """The rest of the architectures kdump supports in 6.12 parse, and CRASH_DUMP can be asked for there."""
    kconf = load_kconfig(str(src), arch, cache_dir=str(tmp_path_factory.mktemp("cache")))
    defconfig = src / "arch" / ARCHES[arch][1] / "configs" / {
        "ppc64le": "ppc64_defconfig", "s390x": "defconfig", "loongarch64": "loongson3_defconfig",
        "mips64": "loongson3_defconfig", "sh": "shx3_defconfig"}[arch]
    assert kconf.syms["ARCH_SUPPORTS_CRASH_DUMP"].nodes
    r = resolve(kconf, str(defconfig), {"KEXEC": "y", "CRASH_DUMP": "y"})
    assert r.unresolved == {} and r.values["CRASH_DUMP"] == "y"
