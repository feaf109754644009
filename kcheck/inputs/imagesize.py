"""How much of the crash region a capture kernel image occupies once loaded.

Only the amount of memory matters to the pre-flight size checks, so this
reads just enough of the file to know it:

* x86 bzImage, boot protocol 2.10 or later: ``init_size`` (offset 0x260), the
  memory the kernel needs from its load address until it has decompressed and
  set itself up (Documentation/x86/boot.rst).  kexec-tools places the kernel
  at an aligned address in the region and needs ``PAGE_ALIGN(init_size)``
  there (kexec-bzImage64.c).
* arm64 Image (magic ``ARM\x64`` at 0x38): ``image_size`` (offset 0x10), the
  image with its bss (Documentation/arm64/booting.rst), which kexec-tools
  places in the region (kexec-image-arm64.c).
* ELF vmlinux: the span of its PT_LOAD segments.
* anything else (an older bzImage or arm64 Image, a compressed file): the
  file size, a lower bound, and said so in ``how``.

Both sizes are :func:`kcheck.domain.memory.kernel_footprint`, the function
``kcheck check`` counts with (from the full image reader), so the two
commands cannot size the same image differently.  Only the header parsing is
separate: the full reader also checks the payload and scans for the version,
which the size does not need (and a host tree's image may be its headers only).
"""

from __future__ import annotations

import struct

from kcheck.domain.memory import kernel_footprint
from kcheck.domain.records import record

HEAD_SIZE = 64 * 1024  # setup header, or ELF header plus program headers
PT_LOAD = 1


@record
class ImageMemory:
    size: int
    how: str  # "init_size", "image_size", "PT_LOAD", "file size"
    invalid: str | None = None  # why the program headers cannot be those of a kernel image


def image_memory(head: bytes, file_size: int) -> ImageMemory:
    """The memory the image needs, from its first bytes and its size on disk."""
    if len(head) >= 0x264 and head[0x1FE:0x200] == b"\x55\xaa" and head[0x202:0x206] == b"HdrS":
        version = struct.unpack_from("<H", head, 0x206)[0]
        if version >= 0x020A:
            init_size = struct.unpack_from("<I", head, 0x260)[0]
            if init_size:
                return ImageMemory(kernel_footprint(init_size, ()) or 0, "init_size")
    if len(head) >= 0x40 and head[0x38:0x3C] == b"ARM\x64":
        image_size = struct.unpack_from("<Q", head, 0x10)[0]
        if image_size:
            return ImageMemory(kernel_footprint(image_size, ()) or 0, "image_size")
    if head[:4] == b"\x7fELF":
        try:
            segments = _elf_load_segments(head, file_size)
        except ValueError as exc:
            return ImageMemory(file_size, "file size", f"not a valid kernel image: {exc}")
        loaded = kernel_footprint(None, segments or ())
        if loaded is not None:
            return ImageMemory(loaded, "PT_LOAD")
    return ImageMemory(file_size, "file size")


def _elf_load_segments(head: bytes, file_size: int) -> list[tuple[int, int]] | None:
    """``(p_paddr, p_memsz)`` of each PT_LOAD; None if the program headers are not within ``head``.

    ValueError when a segment lies outside the file or past the address space.
    """
    if len(head) < 0x40:
        return None
    elf_class, data = head[4], head[5]
    end = "<" if data == 1 else ">"
    if elf_class == 2:
        phoff = struct.unpack_from(end + "Q", head, 0x20)[0]
        phentsize, phnum = struct.unpack_from(end + "HH", head, 0x36)
        entry, type_at, memsz_at = end + "I", 0, 0x28
        memsz_fmt = end + "Q"
        fields = end + "QQQQQ"  # p_offset, p_vaddr, p_paddr, p_filesz, p_memsz at 0x08
    elif elf_class == 1:
        phoff = struct.unpack_from(end + "I", head, 0x1C)[0]
        phentsize, phnum = struct.unpack_from(end + "HH", head, 0x2A)
        entry, type_at, memsz_at = end + "I", 0, 0x14
        memsz_fmt = end + "I"
        fields = end + "IIIII"  # p_offset, p_vaddr, p_paddr, p_filesz, p_memsz at 0x04
    else:
        return None
    # Each entry must hold the fields read from it (Elf64_Phdr is 0x38 bytes,
    # Elf32_Phdr 0x20): a forged e_phentsize of 1 would read past ``head``.
    needed = memsz_at + struct.calcsize(memsz_fmt)
    if phentsize < needed or phoff + phentsize * phnum > len(head):
        return None
    segments: list[tuple[int, int]] = []
    bits = 64 if elf_class == 2 else 32
    for index in range(phnum):
        base = phoff + index * phentsize
        if struct.unpack_from(entry, head, base + type_at)[0] == PT_LOAD:
            offset, _, paddr, filesz, memsz = struct.unpack_from(fields, head, base + (8 if bits == 64 else 4))
            if offset + filesz > file_size:
                raise ValueError(f"PT_LOAD segment {index} ({filesz} bytes at offset {offset:#x}) "
                                 f"lies outside the {file_size}-byte file")
            if paddr + memsz > 1 << bits:
                raise ValueError(f"PT_LOAD segment {index} ends past the {bits}-bit address space "
                                 f"(p_paddr {paddr:#x} + p_memsz {memsz:#x})")
            segments.append((paddr, memsz))
    return segments
