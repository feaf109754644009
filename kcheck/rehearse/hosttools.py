"""The programs a rehearsal copies into its initramfs, and their libraries.

kexec-tools and makedumpfile are dynamically linked on Debian, so the
initramfs needs every library they load and the dynamic loader itself.  The
list comes from the ELF files' own ``PT_INTERP`` and ``DT_NEEDED`` entries
(read with pyelftools, resolved in the loader's default directories), not
from ldd(1), which may run the program.

The programs come from the host, or from a *guest root* (``--guest-root``):
a directory holding another architecture's packages unpacked (an i386 VM
cannot run the x86_64 host's kexec; .ci/fetch-rehearse-parts unpacks
Debian's).  Paths and symlinks are then resolved inside that directory, and
every program's ELF machine is checked against the VM's architecture.
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


SYSTEM_DIRS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")
#: ELF e_machine of the programs each rehearsed architecture runs
MACHINES = {"x86_64": "EM_X86_64", "i386": "EM_386", "arm64": "EM_AARCH64"}
_MAX_LINKS = 16


def find_program(name: str, extra: tuple[str, ...] = SYSTEM_DIRS, root: str | None = None) -> str | None:
    """``name`` on PATH or in the usual system directories (kexec lives in /sbin); under ``root`` if given."""
    if root is None:
        found = shutil.which(name)
        if found:
            return found
    for directory in extra:
        candidate = in_root(root, os.path.join(directory, name)) if root else os.path.join(directory, name)
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def in_root(root: str, path: str) -> str | None:
    """``path`` (absolute, as the guest sees it) as a host file under ``root``, symlinks resolved
    inside ``root`` (an absolute link target means root/target, never the host's); None if absent."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    done: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        host = os.path.join(root, *done, part)
        if os.path.islink(host):
            links += 1
            if links > _MAX_LINKS:
                return None
            target = os.readlink(host)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        done.append(part)
    host = os.path.join(root, *done)
    return host if os.path.exists(host) else None


def elf_machine(path: str) -> str:
    """The ELF e_machine of ``path`` (EM_386, EM_X86_64, ...)."""
    from elftools.common.exceptions import ELFError  # lazy: pyelftools: only ELF images need it
    from elftools.elf.elffile import ELFFile  # lazy: pyelftools: only ELF images need it

    try:
        with open(path, "rb") as handle:
            return str(ELFFile(handle)["e_machine"])
    except (ELFError, OSError, ValueError) as exc:
        raise InputError(path, f"not an ELF program: {exc}") from None


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


def _resolve(library: str, root: str | None) -> str | None:
    for directory in LIBRARY_DIRS:
        candidate = in_root(root, os.path.join(directory, library)) if root else os.path.join(directory, library)
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def collect(name: str, path: str, root: str | None = None) -> HostTool:
    """``path`` plus its loader and the closure of its DT_NEEDED libraries (found under ``root``)."""
    files: list[tuple[str, str]] = []
    seen: set[str] = set()
    queue = [path]
    while queue:
        current = queue.pop()
        interp, needed = _elf_needs(current)
        if interp and interp not in seen:
            seen.add(interp)
            host_interp = in_root(root, interp) if root else os.path.realpath(interp)
            if host_interp is None:
                raise InputError(path, f"needs the loader {interp}, which is not in {root}")
            files.append((interp, host_interp))
        for library in needed:
            if library in seen:
                continue
            seen.add(library)
            host = _resolve(library, root)
            if host is None:
                where = f"the library directories of {root}" if root else ", ".join(LIBRARY_DIRS[:2])
                raise InputError(path, f"needs {library}, which is not in {where}")
            files.append((f"/lib/{library}", os.path.realpath(host)))
            queue.append(host)
            if len(files) > _MAX_LIBRARIES:
                raise InputError(path, f"needs more than {_MAX_LIBRARIES} libraries")
    return HostTool(name, path, tuple(files))
