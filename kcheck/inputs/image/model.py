"""Typed facts read from a kernel image file.

Every field is what the file says, not what kcheck concludes: rules decide
whether a value is a problem.  A field that the image format (or the header
protocol version) does not carry is ``None``, never a guessed default.
"""

from __future__ import annotations

import enum

from kcheck.domain.compression import Compression  # noqa: F401 - re-exported
from kcheck.domain.records import record


class ImageFormat(enum.StrEnum):
    """Container formats kexec-tools and kexec_file_load() know (kdump-rules.md D)."""

    VMLINUX = "vmlinux"  # ELF executable (ET_EXEC or ET_DYN)
    BZIMAGE = "bzImage"  # x86 boot protocol, optionally behind an EFI "MZ" stub
    ARM64_IMAGE = "arm64-Image"  # arch/arm64/include/asm/image.h
    RISCV_IMAGE = "riscv-Image"  # Documentation/riscv/boot-image-header.rst
    ARM_ZIMAGE = "arm-zImage"  # arch/arm/boot/compressed/head.S
    UIMAGE = "uImage"  # U-Boot legacy image (include/image.h)
    EFI_ZBOOT = "efi-zboot"  # drivers/firmware/efi/libstub/zboot-header.S
    COMPRESSED = "compressed"  # a bare gzip/xz/... file (e.g. arm64 vmlinuz)


@record
class LoadSegment:
    """One PT_LOAD program header; kexec loads [p_paddr, p_paddr + p_memsz)."""

    p_paddr: int
    p_vaddr: int
    p_filesz: int
    p_memsz: int
    p_offset: int
    p_flags: int
    p_align: int


@record
class ElfNote:
    """One ELF note.

    ``type_name`` is interpreted from ``name`` first: Xen notes reuse the GNU
    type numbers (XEN_ELFNOTE_HYPERCALL_PAGE is 2, like NT_GNU_ABI_TAG), so a
    type number alone means nothing.
    """

    name: str
    type: int
    type_name: str | None
    desc: bytes


@record
class ElfInfo:
    """ELF header facts of a vmlinux, read from headers and notes only."""

    elf_class: int  # 32 or 64
    endianness: str  # "little" or "big"
    machine: int  # e_machine
    machine_name: str  # "EM_X86_64", or "EM_<n>" when unknown
    type: int  # e_type: 2 ET_EXEC, 3 ET_DYN
    entry: int
    segments: tuple[LoadSegment, ...]  # PT_LOAD only, in file order
    notes: tuple[ElfNote, ...]
    build_id: str | None  # hex of the NT_GNU_BUILD_ID note named "GNU"
    sections: tuple[str, ...] | None  # None when there is no usable section table
    has_debug_info: bool | None  # None when there is no usable section table
    truncated: bool  # a PT_LOAD's file range runs past the end (a header-only copy)


# xloadflags bits, arch/x86/include/uapi/asm/bootparam.h (bits 5/6: header.S).
XLOADFLAG_NAMES: tuple[tuple[int, str], ...] = (
    (1 << 0, "KERNEL_64"),
    (1 << 1, "CAN_BE_LOADED_ABOVE_4G"),
    (1 << 2, "EFI_HANDOVER_32"),
    (1 << 3, "EFI_HANDOVER_64"),
    (1 << 4, "EFI_KEXEC"),
    (1 << 5, "5LEVEL"),
    (1 << 6, "5LEVEL_ENABLED"),
)

# loadflags bits, Documentation/x86/boot.rst.
LOADFLAG_NAMES: tuple[tuple[int, str], ...] = (
    (1 << 0, "LOADED_HIGH"),
    (1 << 1, "KASLR_FLAG"),
    (1 << 5, "QUIET_FLAG"),
    (1 << 6, "KEEP_SEGMENTS"),
    (1 << 7, "CAN_USE_HEAP"),
)


def flag_names(value: int, table: tuple[tuple[int, str], ...]) -> tuple[str, ...]:
    """Names of the bits of ``value`` that ``table`` knows, lowest bit first."""
    return tuple(name for bit, name in table if value & bit)


@record
class SetupHeader:
    """x86 real-mode setup header (Documentation/x86/boot.rst).

    Fields introduced after the image's protocol version are ``None``: an
    older header has unrelated bytes (or setup code) at those offsets.
    """

    setup_sects: int  # already mapped: 0 means 4
    version: int  # protocol, e.g. 0x020F
    loadflags: int
    loadflag_names: tuple[str, ...]
    kernel_version_offset: int  # raw 0x20E field; the string is at +0x200
    code32_start: int
    syssize: int | None  # 2.04+, in 16-byte paragraphs
    initrd_addr_max: int | None  # 2.03+
    kernel_alignment: int | None  # 2.05+
    relocatable_kernel: bool | None  # 2.05+
    min_alignment: int | None  # 2.10+, a power-of-two exponent
    xloadflags: int | None  # 2.12+
    xloadflag_names: tuple[str, ...] | None  # 2.12+
    cmdline_size: int | None  # 2.06+
    payload_offset: int | None  # 2.08+, relative to the protected-mode code
    payload_length: int | None  # 2.08+
    pref_address: int | None  # 2.10+
    init_size: int | None  # 2.10+
    handover_offset: int | None  # 2.11+
    kernel_info_offset: int | None  # 2.15+

    @property
    def protocol(self) -> str:
        """The protocol version as boot.rst writes it, e.g. ``"2.15"``."""
        return f"{self.version >> 8}.{self.version & 0xFF:02d}"

    @property
    def protected_mode_offset(self) -> int:
        """File offset of the protected-mode kernel: after the setup sectors."""
        return (self.setup_sects + 1) * 512

    @property
    def payload_file_offset(self) -> int | None:
        """File offset of the compressed payload (2.08+), else None."""
        if self.payload_offset is None:
            return None
        return self.protected_mode_offset + self.payload_offset


@record
class Arm64Header:
    """arm64 Image header (Documentation/arm64/booting.rst).

    ``image_size == 0`` marks a pre-3.17 kernel whose flags are not valid.
    """

    text_offset: int
    image_size: int
    flags: int
    big_endian: bool  # flags bit 0
    page_size: int | None  # flags bits 1-2: 4K/16K/64K, None = unspecified
    phys_placement_anywhere: bool  # flags bit 3


@record
class RiscvHeader:
    """RISC-V Image header (Documentation/riscv/boot-image-header.rst)."""

    text_offset: int
    image_size: int
    flags: int
    big_endian: bool  # flags bit 0
    header_version: tuple[int, int]  # (major, minor)


@record
class ArmZImageHeader:
    """32-bit arm zImage table (arch/arm/boot/compressed/head.S)."""

    start: int  # _magic_start: load address the image was linked at (0 = PIC)
    end: int  # _magic_end: size of the image
    big_endian: bool


@record
class UImageHeader:
    """U-Boot legacy image header (u-boot include/image.h), 64 bytes, big-endian."""

    name: str
    data_size: int
    load_address: int
    entry_point: int
    os: int
    arch: int  # IH_ARCH_*
    image_type: int  # IH_TYPE_*: 2 = kernel
    compression: int  # IH_COMP_*


@record
class ZbootHeader:
    """EFI zboot header (drivers/firmware/efi/libstub/zboot-header.S)."""

    payload_offset: int
    payload_size: int
    compression_name: str  # the COMP_TYPE string, e.g. "gzip", "zstd22"
    pe_machine: int | None  # IMAGE_FILE_MACHINE_* of the PE header


@record
class KernelImage:
    """Everything kcheck reads from one kernel image file."""

    path: str
    format: ImageFormat
    size: int  # file size in bytes
    arch: str | None  # canonical: i386 x86_64 arm64 arm ppc64 ppc64le ppc s390x riscv64
    efi_stub: bool  # the file starts with an "MZ" PE/EFI stub
    compression: Compression | None  # payload (bzImage, zboot, uImage) or whole file
    version: str | None  # the version string as found in the image
    release: str | None  # its first word, e.g. "6.1.0-56-amd64"
    # bzImage 2.08+: the le32 the build appends after the compressed payload
    # (scripts/Makefile.lib size_append), i.e. the decompressed vmlinux size.
    decompressed_size: int | None = None
    elf: ElfInfo | None = None
    setup_header: SetupHeader | None = None
    arm64_header: Arm64Header | None = None
    riscv_header: RiscvHeader | None = None
    zimage_header: ArmZImageHeader | None = None
    uimage_header: UImageHeader | None = None
    zboot_header: ZbootHeader | None = None
