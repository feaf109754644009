"""Architecture names as kcheck uses them, and how a config reveals its own.

kcheck names an architecture the way kdump documentation and distributions
do (``i386``, ``x86_64``, ``arm64``, ``ppc64le``, ``s390x`` ...).  Rules may
name a family instead (``x86`` covers i386 and x86_64), because most kdump
facts hold for a family.
"""

from __future__ import annotations

from collections.abc import Callable

ARCHES = ("i386", "x86_64", "arm", "arm64", "ppc", "ppc64", "ppc64le", "s390x",
          "riscv32", "riscv64")

FAMILIES: dict[str, frozenset[str]] = {
    "x86": frozenset({"i386", "x86_64"}),
    "powerpc": frozenset({"ppc", "ppc64", "ppc64le"}),
    "ppc64": frozenset({"ppc64", "ppc64le"}),
    "riscv": frozenset({"riscv32", "riscv64"}),
    "s390": frozenset({"s390x"}),
    "64bit": frozenset({"x86_64", "arm64", "ppc64", "ppc64le", "s390x", "riscv64"}),
    "32bit": frozenset({"i386", "arm", "ppc", "riscv32"}),
}

#: Spellings seen in config headers, ``uname -m`` and Debian, mapped to ours.
ALIASES = {
    "x86_32": "i386", "i486": "i386", "i586": "i386", "i686": "i386", "686": "i386",
    "amd64": "x86_64", "aarch64": "arm64", "armhf": "arm", "armel": "arm",
    "powerpc64le": "ppc64le", "ppc64el": "ppc64le", "powerpc64": "ppc64",
    "powerpc": "ppc", "s390": "s390x",
}


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
    if header_arch == "x86":  # the shared source directory: 64BIT decides
        return "x86_64" if on("64BIT") else "i386"
    if header_arch:
        return canonical(header_arch)
    return None

