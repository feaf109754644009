"""Architecture names as kcheck uses them, and how a config reveals its own.

kcheck names an architecture the way kdump documentation and distributions
do (``i386``, ``x86_64``, ``arm64``, ``ppc64le``, ``s390x`` ...).  Rules may
name a family instead (``x86`` covers i386 and x86_64), because most kdump
facts hold for a family.
"""

from __future__ import annotations

from collections.abc import Callable

ARCHES = ("i386", "x86_64", "arm", "arm64", "ppc", "ppc64", "ppc64le", "s390x",
          "riscv32", "riscv64", "loongarch64", "mips", "mips64", "sh",
          "alpha", "arc", "csky", "hexagon", "m68k", "microblaze", "nios2", "openrisc",
          "parisc", "parisc64", "sparc", "sparc64", "um", "xtensa")

#: The kernel's source directory (SRCARCH) of each architecture, as the top-level
#: Makefile maps ARCH to SRCARCH.
SRCARCH: dict[str, str] = {
    "i386": "x86", "x86_64": "x86", "arm": "arm", "arm64": "arm64",
    "ppc": "powerpc", "ppc64": "powerpc", "ppc64le": "powerpc", "s390x": "s390",
    "riscv32": "riscv", "riscv64": "riscv", "loongarch64": "loongarch", "mips": "mips", "mips64": "mips",
    "sh": "sh", "sparc": "sparc", "sparc64": "sparc", "parisc": "parisc", "parisc64": "parisc",
    **{name: name for name in ("alpha", "arc", "csky", "hexagon", "m68k", "microblaze", "nios2",
                               "openrisc", "um", "xtensa")},
}

#: The source directories whose Kconfig lets CONFIG_CRASH_DUMP be set, per kernel series
#: read (tests/corpus/test_kdump_arches.py checks this table against the real trees):
#: in 6.1 each arch/<SRCARCH>/Kconfig defines CRASH_DUMP itself; in 6.12 CRASH_DUMP is
#: kernel/Kconfig.kexec's and depends on ARCH_SUPPORTS_CRASH_DUMP, which only these
#: define.  ia64 (6.1 only) is not an architecture kcheck knows.  Neither list has
#: sparc, parisc, alpha, ...: their kernels have never had kdump.
KDUMP_SRCARCH: tuple[tuple[tuple[int, int], frozenset[str]], ...] = (
    ((6, 1), frozenset({"arm", "arm64", "ia64", "loongarch", "mips", "powerpc", "riscv", "s390", "sh", "x86"})),
    ((6, 12), frozenset({"arm", "arm64", "loongarch", "mips", "powerpc", "riscv", "s390", "sh", "x86"})),
)
#: What the kdump documentation forgets: kdump.rst's list of architectures names neither
#: riscv nor loongarch, which both define ARCH_SUPPORTS_CRASH_DUMP in 6.12.

#: Architectures whose kernels cannot take kdump dumps in any series read (derived from
#: KDUMP_SRCARCH). kcheck knows their names so that it can say so plainly.
NO_KDUMP = frozenset(arch for arch, src in SRCARCH.items()
                     if all(src not in arches for _, arches in KDUMP_SRCARCH))


def kdump_series(version: tuple[int, ...] | None) -> tuple[tuple[int, int], frozenset[str]]:
    """The row of KDUMP_SRCARCH that speaks for ``version``: the newest series at or below it
    (the oldest row for older kernels, the newest for unknown or newer ones)."""
    if version is None:
        return KDUMP_SRCARCH[-1]
    rows = [row for row in KDUMP_SRCARCH if row[0] <= tuple(version[:2])]
    return rows[-1] if rows else KDUMP_SRCARCH[0]


FAMILIES: dict[str, frozenset[str]] = {
    "x86": frozenset({"i386", "x86_64"}),
    "powerpc": frozenset({"ppc", "ppc64", "ppc64le"}),
    "ppc64": frozenset({"ppc64", "ppc64le"}),
    "riscv": frozenset({"riscv32", "riscv64"}),
    "s390": frozenset({"s390x"}),
    "64bit": frozenset({"x86_64", "arm64", "ppc64", "ppc64le", "s390x", "riscv64"}),
    "32bit": frozenset({"i386", "arm", "ppc", "riscv32"}),
    # The architectures whose kernels have kexec_file_load (CONFIG_KEXEC_FILE; kernel/Kconfig.kexec
    # ARCH_SUPPORTS_KEXEC_FILE, y in 6.12 on x86_64, arm64, ppc64, s390, riscv64 and parisc):
    # i386 and arm have none, so no signed capture kernel there.
    "kexec_file": frozenset({"x86_64", "arm64", "ppc64", "ppc64le", "s390x", "riscv64", "parisc", "parisc64"}),
}

#: Spellings seen in config headers, ``uname -m`` and Debian, mapped to ours.
ALIASES = {
    "x86_32": "i386", "i486": "i386", "i586": "i386", "i686": "i386", "686": "i386",
    "amd64": "x86_64", "x86-64": "x86_64", "aarch64": "arm64", "armhf": "arm", "armel": "arm", "armv7l": "arm",
    "powerpc64le": "ppc64le", "ppc64el": "ppc64le", "powerpc64": "ppc64",
    "powerpc": "ppc", "s390": "s390x",
    "loongarch": "loongarch64", "mipsel": "mips", "mips64el": "mips64", "sh4": "sh", "superh": "sh",
    "sparc32": "sparc", "hppa": "parisc", "hppa64": "parisc64", "m68knommu": "m68k",
}


#: Config symbols that exist only on some architectures (what ``kcheck fix``
#: without a Kconfig tree can know): symbol -> the architectures that have it.
ARCH_LIMITED: dict[str, frozenset[str]] = {
    "KEXEC_FILE": FAMILIES["kexec_file"],
    "KEXEC_SIG": FAMILIES["kexec_file"],
}


def kdump_possible(arch: str, version: tuple[int, ...] | None = None) -> bool:
    """False when ``arch``'s Kconfig offers no CRASH_DUMP in the series that speaks for ``version``."""
    if arch not in SRCARCH:
        return True
    return SRCARCH[arch] in kdump_series(version)[1]


def canonical(name: str) -> str | None:
    """Our name for ``name``, or None if it is not an architecture we know."""
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    return name if name in ARCHES else None


def matches(arch: str, selectors: tuple[str, ...]) -> bool:
    """True if ``arch`` is one of ``selectors`` (arch names or family names)."""
    return any(arch == sel or arch in FAMILIES.get(sel, ()) for sel in selectors)


def known_selector(name: str) -> bool:
    """Rule files may name an architecture or a family."""
    return name in ARCHES or name in FAMILIES


# The symbol each kdump-less architecture's Kconfig defines for itself.
_NO_KDUMP_MARKS = (("ALPHA", "alpha"), ("ARC", "arc"), ("CSKY", "csky"), ("HEXAGON", "hexagon"),
                   ("M68K", "m68k"), ("MICROBLAZE", "microblaze"), ("NIOS2", "nios2"),
                   ("OPENRISC", "openrisc"), ("UML", "um"), ("XTENSA", "xtensa"))


#: Symbols that exist in one architecture's Kconfig only, in every era, for configs that lack
#: the defining symbol (a trimmed file, a fragment).  A symbol counts when the config has it at
#: all, set or "is not set": kconfig writes a symbol only where it is visible.  2.6.x i386 had
#: no X86_32: its processor choice (M386 ... MPENTIUM4), its high-memory choice and the UP APIC
#: options exist only there (arch/i386/Kconfig; arch/x86 gates them on X86_32).
ARCH_ONLY_SYMBOLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("i386", ("X86_32", "HIGHMEM4G", "HIGHMEM64G", "NOHIGHMEM", "X86_UP_APIC", "X86_UP_IOAPIC", "X86_PAE",
              "M386", "M486", "M486SX", "M586", "M586TSC", "M586MMX", "M686", "MPENTIUMII", "MPENTIUMIII",
              "MPENTIUMM", "MPENTIUM4", "MK6", "MK7", "MCRUSOE", "MEFFICEON", "MWINCHIPC6", "MWINCHIP2",
              "MWINCHIP3D", "MELAN", "MGEODEGX1", "MGEODE_LX", "MCYRIXIII", "MVIAC3_2", "MVIAC7")),
    ("x86_64", ("IA32_EMULATION", "GENERIC_CPU", "MPSC", "X86_VSMP", "X86_X32")),
    ("arm64", ("ARM64_4K_PAGES", "ARM64_16K_PAGES", "ARM64_64K_PAGES", "ARM64_VA_BITS")),
    ("arm", ("AEABI", "ARM_PATCH_PHYS_VIRT", "ARCH_MULTI_V7", "ARCH_MULTI_V6", "CPU_32v7", "CPU_32v6")),
    ("s390x", ("MARCH_Z900", "MARCH_Z990", "MARCH_Z9_109", "MARCH_Z10", "MARCH_Z196", "MARCH_ZEC12",
               "MARCH_Z13", "MARCH_Z14", "MARCH_Z15", "MARCH_Z16", "QDIO")),
    ("riscv64", ("ARCH_RV64I",)),
    ("riscv32", ("ARCH_RV32I",)),
)
#: The 2.6.x i386 sub-architecture choice; from 2.6.24 arch/x86 shares X86_PC with x86_64.
_I386_BEFORE_2_6_24 = ("X86_PC", "X86_ELAN", "X86_VOYAGER", "X86_NUMAQ", "X86_SUMMIT", "X86_BIGSMP",
                       "X86_VISWS", "X86_GENERICARCH", "X86_ES7000")


def from_symbols(get: Callable[[str], str | None], before_2_6_24: bool = False) -> tuple[str, str] | None:
    """``(arch, "CONFIG_X=y")``: the architecture the config's symbols name, and the symbol that says so."""
    def on(symbol: str) -> bool:
        return get(symbol) == "y"

    defining = (
        ("X86_64", "x86_64"), ("X86_32", "i386"), ("ARM64", "arm64"), ("ARM", "arm"),
        ("S390", "s390x"),
    )
    for symbol, arch in defining:
        if on(symbol):
            return arch, f"CONFIG_{symbol}=y"
    if on("X86") and not on("64BIT"):
        return "i386", "CONFIG_X86=y without CONFIG_64BIT"
    if on("PPC64"):
        return ("ppc64le" if on("CPU_LITTLE_ENDIAN") else "ppc64"), "CONFIG_PPC64=y"
    if on("PPC32") or on("PPC"):
        return "ppc", "CONFIG_PPC=y"
    if on("RISCV"):
        return ("riscv64" if on("64BIT") else "riscv32"), "CONFIG_RISCV=y"
    for symbol, arch in (("LOONGARCH", "loongarch64"), ("MIPS", "mips"), ("SUPERH", "sh"),
                         ("SPARC", "sparc"), ("PARISC", "parisc")):
        if on(symbol):
            if arch in ("mips", "parisc") and on("64BIT"):
                arch += "64"
            if arch == "sparc" and (on("SPARC64") or on("64BIT")):
                arch = "sparc64"
            return arch, f"CONFIG_{symbol}=y"
    for symbol, arch in _NO_KDUMP_MARKS:
        if on(symbol):
            return arch, f"CONFIG_{symbol}=y"
    signs = ARCH_ONLY_SYMBOLS + ((("i386", _I386_BEFORE_2_6_24),) if before_2_6_24 else ())
    for arch, symbols in signs:
        found = next((s for s in symbols if get(s) is not None), None)
        if found:
            return arch, f"CONFIG_{found} (only {arch} has it)"
    return None


def from_header(header_arch: str | None, get: Callable[[str], str | None]) -> str | None:
    """The architecture a ``# Linux/<dir> X.Y Kernel Configuration`` header names.

    ``x86`` is the directory i386 and x86_64 share since 2.6.24: 64BIT decides;
    ``powerpc`` likewise with 64BIT and CPU_LITTLE_ENDIAN.
    """
    if not header_arch:
        return None
    if header_arch == "x86":
        bits = get("64BIT")
        return None if bits is None else "x86_64" if bits == "y" else "i386"
    if header_arch == "powerpc":
        if get("PPC64") == "y" or get("64BIT") == "y":
            return "ppc64le" if get("CPU_LITTLE_ENDIAN") == "y" else "ppc64"
        return None
    return canonical(header_arch)


def from_config(get: Callable[[str], str | None], header_arch: str | None) -> str | None:
    """Deduce the architecture from the symbols only the arch's Kconfig defines, else the header.

    The symbols decide first: a header's ``Linux/x86`` names the source
    directory, which since 2.6.24 is shared by i386 and x86_64.
    """
    found = from_symbols(get)
    return found[0] if found else from_header(header_arch, get)


def compatible(a: str, b: str) -> bool:
    """Two answers that do not contradict each other (``ppc64`` and ``ppc64le`` from an
    ELF machine that does not carry the endianness are the same family)."""
    return a == b or {a, b} <= FAMILIES["ppc64"]


def detect(option: str | None, get: Callable[[str], str | None] | None, header_arch: str | None,
           image_arch: str | None, image_source: str = "image", before_2_6_24: bool = False,
           ) -> tuple[str | None, str | None, str | None]:
    """``(arch, where it came from, conflict)`` from every source there is.

    In order: ``--arch``, the config's symbols, the image (its ELF machine or
    boot header, also when the config was read out of it), the config
    header.  The first answer wins; any other source that contradicts it is
    the conflict, in words, for a warning.
    """
    answers: list[tuple[str, str]] = []
    if option:
        answers.append((option, "--arch"))
    if get is not None:
        found = from_symbols(get, before_2_6_24)
        if found:
            answers.append((found[0], f"config symbols ({found[1]})"))
    if image_arch:
        answers.append((image_arch, image_source))
    header = from_header(header_arch, get) if get is not None else canonical(header_arch or "")
    if header:
        answers.append((header, f"config header (Linux/{header_arch})"))
    if not answers:
        return None, None, None
    arch, source = answers[0]
    disagree = [f"{where} says {other}" for other, where in answers[1:] if not compatible(arch, other)]
    conflict = f"{source} says {arch}, but " + "; ".join(disagree) if disagree else None
    return arch, source, conflict
