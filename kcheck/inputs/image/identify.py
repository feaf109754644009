"""Which kind of kernel image a file is, from its first bytes only.

The file name never matters ("vmlinuz" is a bzImage on x86, a gzip file or an
EFI zboot image on arm64).  The order of the checks matters: an EFI zboot
image, an x86 bzImage with an EFI stub and an arm64 Image all start with "MZ".
"""

from __future__ import annotations

from kcheck.domain.errors import InputError
from kcheck.inputs.image import boot_headers as bh
from kcheck.inputs.image.compression import detect_compression
from kcheck.inputs.image.elf import parse_ident
from kcheck.inputs.image.fileio import ImageFile
from kcheck.inputs.image.model import ImageFormat
from kcheck.inputs.image.x86 import LOADED_HIGH, is_bzimage

ELF_MAGIC = b"\x7fELF"


def classify(path: str, head: bytes) -> ImageFormat:
    """Identify the format from the file's first bytes, or raise InputError."""
    if head.startswith(ELF_MAGIC):
        parse_ident(path, head)  # refuses ET_REL, ET_CORE, bad class, truncation
        return ImageFormat.VMLINUX
    if bh.is_efi_zboot(head):
        return ImageFormat.EFI_ZBOOT
    if is_bzimage(head):
        if not head[0x211] & LOADED_HIGH:
            raise InputError(
                path, "not a kernel image kcheck can read (x86 zImage: loadflags LOADED_HIGH is clear)"
            )
        return ImageFormat.BZIMAGE
    if bh.is_arm64_image(head):
        return ImageFormat.ARM64_IMAGE
    if bh.is_riscv_image(head):
        return ImageFormat.RISCV_IMAGE
    if bh.is_zimage(head):
        return ImageFormat.ARM_ZIMAGE
    if bh.is_uimage(head):
        return ImageFormat.UIMAGE
    if detect_compression(head) is not None:
        return ImageFormat.COMPRESSED
    raise InputError(path, f"not a kernel image ({_describe(head)})")


def _describe(head: bytes) -> str:
    if head.startswith(b"MZ"):
        return "a PE/EFI executable without a Linux boot header; a unified kernel image is not supported"
    if head.startswith(b"\xd0\x0d\xfe\xed"):
        return "a flattened device tree or FIT image"
    if not head.strip(b"\x00"):
        return f"the first {len(head)} bytes are all zero"
    magic = " ".join(f"{b:02x}" for b in head[:8])
    if len(head) < 64:
        return f"unrecognised contents, only {len(head)} bytes: {magic}"
    return f"unrecognised magic bytes {magic}"


def identify(path: str) -> ImageFormat:
    """Identify a kernel image file from its bytes (at most 4 KiB are read)."""
    with ImageFile(path) as f:
        return classify(path, f.head())
