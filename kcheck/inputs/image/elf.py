"""vmlinux (ELF) headers, PT_LOAD segments, notes and section names.

Only the ELF header, the program and section header tables, PT_NOTE contents
and the section name string table are read: a 1 GiB vmlinux with DWARF costs
the same as a stripped 20 MiB one.  Table positions and sizes are checked
against the file size *before* anything is read, so forged or truncated
headers give an InputError instead of huge reads or parser tracebacks.
pyelftools (imported lazily) supplies the struct layouts and machine names.
"""

from __future__ import annotations

from typing import Any, Literal

from kcheck.domain.errors import InputError
from kcheck.domain.records import record
from kcheck.inputs.image.elfnotes import gnu_build_id, parse_notes
from kcheck.inputs.image.fileio import ImageFile
from kcheck.inputs.image.model import ElfInfo, ElfNote, LoadSegment

ET_EXEC = 2
ET_DYN = 3
_ET_NAMES = {0: "no file type", 1: "relocatable object", 4: "core file"}

PT_LOAD = 1
PT_NOTE = 4
SHT_NOBITS = 8

# A vmlinux has 2-6 program headers and under 100 sections (a few thousand
# with -ffunction-sections and no linker script merging).
MAX_PHNUM = 256
MAX_SHNUM = 65535
MAX_NOTE_BYTES = 1 << 20
MAX_SHSTRTAB_BYTES = 4 << 20

# e_machine -> canonical arch, per class/endianness where the name depends on it.
_EM_I386, _EM_PPC, _EM_PPC64, _EM_S390, _EM_ARM, _EM_X86_64, _EM_AARCH64, _EM_RISCV = (
    3, 20, 21, 22, 40, 62, 183, 243,
)


@record
class ElfIdent:
    """The facts of e_ident and the fixed-position header fields."""

    elf_class: int
    little_endian: bool
    type: int
    machine: int


def parse_ident(path: str, head: bytes) -> ElfIdent:
    """Check e_ident and read e_type/e_machine from the first bytes of the file."""
    if len(head) < 20:
        raise InputError(path, f"truncated ELF header ({len(head)} bytes)")
    ei_class, ei_data = head[4], head[5]
    if ei_class not in (1, 2):
        raise InputError(path, f"not a kernel image (ELF with invalid class {ei_class})")
    if ei_data not in (1, 2):
        raise InputError(path, f"not a kernel image (ELF with invalid data encoding {ei_data})")
    order: Literal["little", "big"] = "little" if ei_data == 1 else "big"
    e_type = int.from_bytes(head[16:18], order)
    e_machine = int.from_bytes(head[18:20], order)
    if e_type not in (ET_EXEC, ET_DYN):
        what = _ET_NAMES.get(e_type, f"e_type {e_type}")
        raise InputError(path, f"not a kernel image (ELF {what}, not an executable)")
    ehsize = 52 if ei_class == 1 else 64
    if len(head) < ehsize:
        raise InputError(path, f"truncated ELF header ({len(head)} of {ehsize} bytes)")
    return ElfIdent(32 if ei_class == 1 else 64, ei_data == 1, e_type, e_machine)


def elf_arch(ident: ElfIdent) -> str | None:
    """Canonical arch name for an ELF header, None for machines kcheck does not know."""
    m, wide = ident.machine, ident.elf_class == 64
    if m == _EM_I386:
        return "i386"
    if m == _EM_X86_64:
        return "x86_64"
    if m == _EM_AARCH64:
        return "arm64"
    if m == _EM_ARM:
        return "arm"
    if m == _EM_PPC64:
        return "ppc64le" if ident.little_endian else "ppc64"
    if m == _EM_PPC:
        return "ppc"
    if m == _EM_S390 and wide:
        return "s390x"
    if m == _EM_RISCV and wide:
        return "riscv64"
    return None


def _structs(ident: ElfIdent) -> Any:
    from elftools.elf.structs import ELFStructs  # lazy: pyelftools: only ELF images need it

    structs = ELFStructs(little_endian=ident.little_endian, elfclass=ident.elf_class)
    structs.create_basic_structs()
    return structs


def _machine_name(machine: int) -> str:
    from elftools.elf.enums import ENUM_E_MACHINE  # lazy: pyelftools: only ELF images need it

    for name, value in ENUM_E_MACHINE.items():
        if value == machine and name != "_default_":
            return str(name)
    return f"EM_{machine}"


def _parse(struct: Any, data: bytes, path: str, what: str) -> Any:
    from elftools.common.exceptions import ELFError  # lazy: pyelftools: only ELF images need it
    from elftools.construct import ConstructError  # lazy: pyelftools: only ELF images need it

    try:
        return struct.parse(data)
    except (ELFError, ConstructError, ValueError) as exc:
        raise InputError(path, f"malformed {what} ({exc})") from None


def _table_in_file(f: ImageFile, offset: int, count: int, entsize: int) -> bool:
    return 0 < offset and offset + count * entsize <= f.size


class _Header:
    """Parsed ELF header plus the struct factory for its class/endianness."""

    def __init__(self, f: ImageFile, ident: ElfIdent) -> None:
        self.structs = _structs(ident)
        size = self.structs.Elf_Ehdr.sizeof()
        self.ehdr = _parse(self.structs.Elf_Ehdr, f.read_exact(0, size, "ELF header"), f.path, "ELF header")
        self.structs.create_advanced_structs(self.ehdr["e_type"], self.ehdr["e_machine"],
                                             self.ehdr["e_ident"]["EI_OSABI"])


def _program_headers(f: ImageFile, hdr: _Header) -> list[Any]:
    eh = hdr.ehdr
    phoff, phnum, phentsize = eh["e_phoff"], eh["e_phnum"], eh["e_phentsize"]
    if phnum == 0 or phoff == 0:
        raise InputError(f.path, "ELF file has no program headers (not a linked kernel)")
    if phnum > MAX_PHNUM:
        raise InputError(f.path, f"absurd ELF program header count e_phnum={phnum}")
    expected = hdr.structs.Elf_Phdr.sizeof()
    if phentsize != expected:
        raise InputError(f.path, f"bad ELF e_phentsize {phentsize} (expected {expected})")
    if phoff + phnum * phentsize > f.size:
        raise InputError(
            f.path,
            f"truncated ELF: program headers at {phoff:#x} ({phnum} x {phentsize} bytes) "
            f"are past the end of the file ({f.size} bytes)",
        )
    table = f.read_exact(phoff, phnum * phentsize, "ELF program headers")
    return [
        _parse(hdr.structs.Elf_Phdr, table[i * phentsize : (i + 1) * phentsize], f.path, "program header")
        for i in range(phnum)
    ]


def _p_type(phdr: Any) -> int:
    """p_type as a number; pyelftools turns known values into names."""
    from elftools.elf.enums import ENUM_P_TYPE_BASE  # lazy: pyelftools: only ELF images need it

    value = phdr["p_type"]
    return int(ENUM_P_TYPE_BASE.get(value, -1)) if isinstance(value, str) else int(value)


def _read_notes(f: ImageFile, phdrs: list[Any], little_endian: bool) -> list[ElfNote]:
    notes: list[ElfNote] = []
    for ph in phdrs:
        if _p_type(ph) != PT_NOTE or ph["p_filesz"] == 0:
            continue
        if ph["p_offset"] + ph["p_filesz"] > f.size:
            continue  # a header-only copy; reported through ElfInfo.truncated
        data = f.read_upto(ph["p_offset"], min(ph["p_filesz"], MAX_NOTE_BYTES))
        notes.extend(parse_notes(data, little_endian, 8 if ph["p_align"] == 8 else 4))
    return notes


@record
class Section:
    """The few section header facts kcheck uses."""

    name: str
    type: int
    offset: int
    size: int


def _sections(f: ImageFile, hdr: _Header) -> list[Section] | None:
    """Section headers with names, or None when the table is absent or unusable.

    Header-only vmlinux copies keep e_shoff but not the table; that is not an
    error, only a vmlinux whose sections cannot be inspected.
    """
    eh = hdr.ehdr
    shoff, shnum, shentsize, shstrndx = eh["e_shoff"], eh["e_shnum"], eh["e_shentsize"], eh["e_shstrndx"]
    if shoff == 0 or shentsize != hdr.structs.Elf_Shdr.sizeof():
        return None
    first = None
    if shnum == 0 or shstrndx == 0xFFFF:  # extended numbering lives in section 0
        if not _table_in_file(f, shoff, 1, shentsize):
            return None
        first = _parse(hdr.structs.Elf_Shdr, f.read_exact(shoff, shentsize, "section header"), f.path,
                       "section header")
        shnum = shnum or first["sh_size"]
        if shstrndx == 0xFFFF:
            shstrndx = first["sh_link"]
    if not 0 < shnum <= MAX_SHNUM or not _table_in_file(f, shoff, shnum, shentsize):
        return None
    table = f.read_exact(shoff, shnum * shentsize, "section headers")
    shdrs = [
        _parse(hdr.structs.Elf_Shdr, table[i * shentsize : (i + 1) * shentsize], f.path, "section header")
        for i in range(shnum)
    ]
    if not 0 < shstrndx < shnum:
        return None
    strtab_hdr = shdrs[shstrndx]
    if strtab_hdr["sh_offset"] + strtab_hdr["sh_size"] > f.size:
        return None
    strtab = f.read_upto(strtab_hdr["sh_offset"], min(strtab_hdr["sh_size"], MAX_SHSTRTAB_BYTES))
    sections = []
    for sh in shdrs:
        start = sh["sh_name"]
        end = strtab.find(b"\x00", start)
        name = strtab[start:end if end >= 0 else len(strtab)].decode("ascii", "replace") if start < len(strtab) else ""
        sh_type = sh["sh_type"]
        if isinstance(sh_type, str):
            from elftools.elf.enums import ENUM_SH_TYPE_BASE  # lazy: pyelftools: only ELF images need it

            sh_type = ENUM_SH_TYPE_BASE.get(sh_type, -1)
        sections.append(Section(name, int(sh_type), sh["sh_offset"], sh["sh_size"]))
    return sections


@record
class ElfLayout:
    """ElfInfo plus the file ranges later steps (banner, IKCONFIG) scan."""

    info: ElfInfo
    rodata: tuple[int, int] | None  # (offset, size) of .rodata in the file
    load_ranges: tuple[tuple[int, int], ...]  # (p_offset, p_filesz) of PT_LOADs in the file


def _check_segments(f: ImageFile, segments: tuple[LoadSegment, ...], bits: int) -> None:
    """Refuse PT_LOADs no kernel image has: data outside the file, an end past the address space.

    kexec-tools loads [p_offset, p_offset + p_filesz) of the file at p_paddr;
    a segment that is not in the file is a truncated or forged image, and an
    address past 2^bits wraps in the 64-bit arithmetic the loader does.
    """
    top = 1 << bits
    for index, s in enumerate(segments):
        if s.p_offset + s.p_filesz > f.size:
            raise InputError(f.path, f"not a valid kernel image: PT_LOAD segment {index} ({s.p_filesz} bytes at "
                                     f"offset {s.p_offset:#x}) lies outside the {f.size}-byte file")
        if s.p_filesz > s.p_memsz:
            raise InputError(f.path, f"not a valid kernel image: PT_LOAD segment {index} has p_filesz "
                                     f"{s.p_filesz:#x} larger than p_memsz {s.p_memsz:#x}")
        for name, start in (("p_paddr", s.p_paddr), ("p_vaddr", s.p_vaddr)):
            if start + s.p_memsz > top:
                raise InputError(f.path, f"not a valid kernel image: PT_LOAD segment {index} ends past the "
                                         f"{bits}-bit address space ({name} {start:#x} + p_memsz {s.p_memsz:#x})")


def read_elf(f: ImageFile, ident: ElfIdent) -> ElfLayout:
    """Read headers, PT_LOADs, notes and section names of a vmlinux."""
    hdr = _Header(f, ident)
    phdrs = _program_headers(f, hdr)
    segments = tuple(
        LoadSegment(ph["p_paddr"], ph["p_vaddr"], ph["p_filesz"], ph["p_memsz"], ph["p_offset"],
                    ph["p_flags"], ph["p_align"])
        for ph in phdrs
        if _p_type(ph) == PT_LOAD
    )
    _check_segments(f, segments, 64 if ident.elf_class == 64 else 32)
    truncated = False  # a segment outside the file is refused above (issue 14 row 10)
    notes = _read_notes(f, phdrs, ident.little_endian)
    sections = _sections(f, hdr)
    # Index 0 is the SHT_NULL entry, nameless by definition.
    names = tuple(s.name for s in sections[1:]) if sections is not None else None
    rodata = None
    if sections is not None:
        for s in sections:
            if s.name == ".rodata" and s.type != SHT_NOBITS and s.offset + s.size <= f.size:
                rodata = (s.offset, s.size)
                break
    info = ElfInfo(
        elf_class=ident.elf_class,
        endianness="little" if ident.little_endian else "big",
        machine=ident.machine,
        machine_name=_machine_name(ident.machine),
        type=ident.type,
        entry=hdr.ehdr["e_entry"],
        segments=segments,
        notes=tuple(notes),
        build_id=gnu_build_id(notes),
        sections=names,
        has_debug_info=None if names is None else any(n in (".debug_info", ".zdebug_info") for n in names),
        truncated=truncated,
    )
    loads = tuple((s.p_offset, s.p_filesz) for s in segments if s.p_filesz)
    return ElfLayout(info, rodata, loads)
