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

#: Architectures whose kernels cannot take kdump dumps: Linux 6.12's
#: arch/<SRCARCH>/Kconfig defines no ARCH_SUPPORTS_CRASH_DUMP for them (which
#: CRASH_DUMP depends on since 6.9), and no earlier kernel had CRASH_DUMP there.
#: kcheck knows their names so that it can say so plainly.
NO_KDUMP = frozenset({"alpha", "arc", "csky", "hexagon", "m68k", "microblaze", "nios2", "openrisc",
                      "parisc", "parisc64", "sparc", "sparc64", "um", "xtensa"})

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
    "amd64": "x86_64", "aarch64": "arm64", "armhf": "arm", "armel": "arm",
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


def kdump_possible(arch: str) -> bool:
    """False for architectures whose kernels have no kdump at all (see NO_KDUMP)."""
    return arch not in NO_KDUMP


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


def from_config(get: Callable[[str], str | None], header_arch: str | None) -> str | None:
    """Deduce the architecture from the symbols only the arch's Kconfig defines.

    The symbols decide first: a header's ``Linux/x86`` names the source
    directory, which since 2.6.24 is shared by i386 and x86_64.
    """
    def on(symbol: str) -> bool:
        return get(symbol) == "y"

    if on("X86_64"):
        return "x86_64"
    if on("X86_32") or (on("X86") and not on("64BIT")):
        return "i386"
    if on("ARM64"):
        return "arm64"
    if on("ARM"):
        return "arm"
    if on("PPC64"):
        return "ppc64le" if on("CPU_LITTLE_ENDIAN") else "ppc64"
    if on("PPC32") or on("PPC"):
        return "ppc"
    if on("S390"):
        return "s390x"
    if on("RISCV"):
        return "riscv64" if on("64BIT") else "riscv32"
    if on("LOONGARCH"):
        return "loongarch64"
    if on("MIPS"):
        return "mips64" if on("64BIT") else "mips"
    if on("SUPERH"):
        return "sh"
    if on("SPARC"):
        return "sparc64" if on("SPARC64") or on("64BIT") else "sparc"
    if on("PARISC"):
        return "parisc64" if on("64BIT") else "parisc"
    for symbol, name in _NO_KDUMP_MARKS:
        if on(symbol):
            return name
    if header_arch == "x86":  # the shared source directory: 64BIT decides
        return "x86_64" if on("64BIT") else "i386"
    if header_arch:
        return canonical(header_arch)
    return None

