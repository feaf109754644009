"""The host programs a rehearsal copies into its initramfs, and their libraries.

kexec-tools and makedumpfile are dynamically linked on Debian, so the
initramfs needs every library they load and the dynamic loader itself.  The
list comes from the ELF files' own ``PT_INTERP`` and ``DT_NEEDED`` entries
(read with pyelftools, resolved in the loader's default directories), not
from ldd(1), which may run the program.
"""

from __future__ import annotations

import os
import shutil

from kcheck.domain.errors import InputError
from kcheck.domain.records import record

#: where the x86_64 (and i386, arm64) Debian loaders look when no RUNPATH says otherwise
LIBRARY_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                "/lib", "/usr/lib", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu")
_MAX_LIBRARIES = 64


@record
class HostTool:
    """A program found on the host and the files it needs, each as (path in the image, host path)."""

    name: str
    path: str
    files: tuple[tuple[str, str], ...]


def find_program(name: str, extra: tuple[str, ...] = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")) -> str | None:
    """``name`` on PATH or in the usual system directories (kexec lives in /sbin)."""
    found = shutil.which(name)
    if found:
        return found
    for directory in extra:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _elf_needs(path: str) -> tuple[str | None, list[str]]:
    from elftools.common.exceptions import ELFError  # lazy: pyelftools: only ELF images need it
    from elftools.elf.dynamic import DynamicSection  # lazy: pyelftools: only ELF images need it
    from elftools.elf.elffile import ELFFile  # lazy: pyelftools: only ELF images need it

    try:
        with open(path, "rb") as handle:
            elf = ELFFile(handle)
            interp = None
            for segment in elf.iter_segments():
                if segment["p_type"] == "PT_INTERP":
                    interp = segment.get_interp_name()
            needed: list[str] = []
            for section in elf.iter_sections():
                if isinstance(section, DynamicSection):
                    needed.extend(tag.needed for tag in section.iter_tags() if tag.entry.d_tag == "DT_NEEDED")
            return interp, needed
    except (ELFError, OSError, ValueError) as exc:
        raise InputError(path, f"cannot read its ELF dynamic section: {exc}") from None


def _resolve(library: str) -> str | None:
    for directory in LIBRARY_DIRS:
        candidate = os.path.join(directory, library)
        if os.path.isfile(candidate):
            return candidate
    return None


def collect(name: str, path: str) -> HostTool:
    """``path`` plus its loader and the closure of its DT_NEEDED libraries."""
    files: list[tuple[str, str]] = []
    seen: set[str] = set()
    queue = [path]
    while queue:
        current = queue.pop()
        interp, needed = _elf_needs(current)
        if interp and interp not in seen:
            seen.add(interp)
            files.append((interp, os.path.realpath(interp)))
        for library in needed:
            if library in seen:
                continue
            seen.add(library)
            host = _resolve(library)
            if host is None:
                raise InputError(path, f"needs {library}, which is not in {', '.join(LIBRARY_DIRS[:2])}")
            files.append((f"/lib/{library}", os.path.realpath(host)))
            queue.append(host)
            if len(files) > _MAX_LIBRARIES:
                raise InputError(path, f"needs more than {_MAX_LIBRARIES} libraries")
    return HostTool(name, path, tuple(files))
