"""ELF note parsing that reads the owner name before the type.

A vmlinux carries GNU notes (build id), Linux notes (build salt) and, on x86
with CONFIG_XEN_PV or CONFIG_PVH, up to 19 Xen notes.  The note *type* is only
meaningful within its *name*'s namespace: Xen's XEN_ELFNOTE_VIRT_BASE is 3,
the same number as NT_GNU_BUILD_ID, and pyelftools labels (and tries to
decode) Xen notes with GNU names.  So notes are parsed here by hand.
"""

from __future__ import annotations

from typing import Literal

from kcheck.inputs.image.model import ElfNote

# include/uapi/linux/elf.h and binutils include/elf/common.h
_GNU_TYPES = {
    1: "NT_GNU_ABI_TAG",
    2: "NT_GNU_HWCAP",
    3: "NT_GNU_BUILD_ID",
    4: "NT_GNU_GOLD_VERSION",
    5: "NT_GNU_PROPERTY_TYPE_0",
}

# xen/include/public/elfnote.h
_XEN_TYPES = {
    0: "XEN_ELFNOTE_INFO",
    1: "XEN_ELFNOTE_ENTRY",
    2: "XEN_ELFNOTE_HYPERCALL_PAGE",
    3: "XEN_ELFNOTE_VIRT_BASE",
    4: "XEN_ELFNOTE_PADDR_OFFSET",
    5: "XEN_ELFNOTE_XEN_VERSION",
    6: "XEN_ELFNOTE_GUEST_OS",
    7: "XEN_ELFNOTE_GUEST_VERSION",
    8: "XEN_ELFNOTE_LOADER",
    9: "XEN_ELFNOTE_PAE_MODE",
    10: "XEN_ELFNOTE_FEATURES",
    11: "XEN_ELFNOTE_BSD_SYMTAB",
    12: "XEN_ELFNOTE_HV_START_LOW",
    13: "XEN_ELFNOTE_L1_MFN_VALID",
    14: "XEN_ELFNOTE_SUSPEND_CANCEL",
    15: "XEN_ELFNOTE_INIT_P2M",
    16: "XEN_ELFNOTE_MOD_START_PFN",
    17: "XEN_ELFNOTE_SUPPORTED_FEATURES",
    18: "XEN_ELFNOTE_PHYS32_ENTRY",
}

# include/linux/build-salt.h, include/linux/elfnote-lto.h
_LINUX_TYPES = {
    0x100: "LINUX_ELFNOTE_BUILD_SALT",
    0x101: "LINUX_ELFNOTE_LTO_INFO",
}

_TYPES_BY_NAME = {"GNU": _GNU_TYPES, "Xen": _XEN_TYPES, "Linux": _LINUX_TYPES}

# No real note is anywhere near this; it bounds what a forged header can cost.
MAX_NOTES = 1024


def note_type_name(name: str, n_type: int) -> str | None:
    """The symbolic type of a note, looked up in its owner's namespace."""
    return _TYPES_BY_NAME.get(name, {}).get(n_type)


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) & ~(alignment - 1)


def parse_notes(data: bytes, little_endian: bool, alignment: int = 4) -> list[ElfNote]:
    """Parse the notes in one PT_NOTE segment's bytes.

    ``alignment`` is 4 for the usual notes and 8 for a segment with
    p_align 8 (GNU property notes on 64-bit).  A malformed tail (a size
    running past the data) ends parsing; the notes before it are kept.
    """
    order: Literal["little", "big"] = "little" if little_endian else "big"
    notes: list[ElfNote] = []
    pos = 0
    while pos + 12 <= len(data) and len(notes) < MAX_NOTES:
        namesz = int.from_bytes(data[pos : pos + 4], order)
        descsz = int.from_bytes(data[pos + 4 : pos + 8], order)
        n_type = int.from_bytes(data[pos + 8 : pos + 12], order)
        name_start = pos + 12
        desc_start = name_start + _align(namesz, alignment)
        desc_end = desc_start + descsz
        if desc_end > len(data):
            break
        name = data[name_start : name_start + namesz].rstrip(b"\x00").decode("ascii", "replace")
        desc = data[desc_start:desc_end]
        notes.append(ElfNote(name, n_type, note_type_name(name, n_type), desc))
        pos = _align(desc_end, alignment)
    return notes


def gnu_build_id(notes: list[ElfNote]) -> str | None:
    """Hex of the first NT_GNU_BUILD_ID note owned by "GNU"."""
    for note in notes:
        if note.name == "GNU" and note.type == 3:
            return note.desc.hex()
    return None
