"""read_image(): one KernelImage from any supported image file.

Reading is headers-only and cost-bounded: the only scan is for the version
banner of a vmlinux, over .rodata (or, without sections, the PT_LOAD file
ranges) and never more than BANNER_SCAN_LIMIT bytes.  Payloads are not
decompressed here; extract_ikconfig() does that on request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kcheck.domain.errors import InputError
from kcheck.inputs.image import boot_headers as bh
from kcheck.inputs.image import x86
from kcheck.inputs.image.compression import detect_compression
from kcheck.inputs.image.elf import ElfLayout, elf_arch, parse_ident, read_elf
from kcheck.inputs.image.fileio import ImageFile
from kcheck.inputs.image.identify import classify
from kcheck.inputs.image.model import ImageFormat, KernelImage
from kcheck.inputs.image.scan import find_banner, release_of

# .rodata of a 6.1 x86_64 vmlinux is about 20 MiB; the banner is in it.
BANNER_SCAN_LIMIT = 64 << 20


def range_chunks(f: ImageFile, ranges: tuple[tuple[int, int], ...], limit: int) -> Iterator[bytes]:
    """Chunks of the given file ranges, clipped to the file, at most ``limit`` bytes."""
    budget = limit
    for offset, size in ranges:
        for chunk in f.chunks(offset, min(size, budget)):
            budget -= len(chunk)
            yield chunk
        if budget <= 0:
            return


def _vmlinux_banner(f: ImageFile, layout: ElfLayout) -> str | None:
    ranges = (layout.rodata,) if layout.rodata else layout.load_ranges
    return find_banner(range_chunks(f, ranges, BANNER_SCAN_LIMIT))


def _read_vmlinux(f: ImageFile, head: bytes) -> KernelImage:
    ident = parse_ident(f.path, head)
    layout = read_elf(f, ident)
    version = _vmlinux_banner(f, layout)
    return KernelImage(
        path=f.path,
        format=ImageFormat.VMLINUX,
        size=f.size,
        arch=elf_arch(ident),
        efi_stub=False,
        compression=None,
        version=version,
        release=release_of(version),
        elf=layout.info,
    )


def _read_bzimage(f: ImageFile, head: bytes) -> KernelImage:
    setup = x86.parse_setup_header(f.path, head)
    x86.check_bzimage(f, setup)
    version = x86.kernel_version_string(f, setup)
    return KernelImage(
        path=f.path,
        format=ImageFormat.BZIMAGE,
        size=f.size,
        arch=x86.bzimage_arch(setup),
        efi_stub=head.startswith(b"MZ"),
        compression=x86.payload_compression(f, setup),
        version=version,
        release=release_of(version),
        decompressed_size=x86.appended_size(f, setup),
        setup_header=setup,
    )


def _read_zboot(f: ImageFile, head: bytes) -> KernelImage:
    header = bh.parse_zboot(f.path, head)
    if header.payload_offset + header.payload_size > f.size or header.payload_size == 0:
        raise InputError(
            f.path,
            f"EFI zboot payload at {header.payload_offset:#x} (+{header.payload_size} bytes) "
            f"runs past the end of the file ({f.size} bytes)",
        )
    compression = detect_compression(f.read_upto(header.payload_offset, 16)) or bh.zboot_compression(header)
    return KernelImage(
        path=f.path,
        format=ImageFormat.EFI_ZBOOT,
        size=f.size,
        arch=bh.zboot_arch(header),
        efi_stub=True,
        compression=compression,
        version=None,
        release=None,
        zboot_header=header,
    )


def _read_uimage(f: ImageFile, head: bytes) -> KernelImage:
    header = bh.parse_uimage(f.path, head)
    if bh.UIMAGE_HEADER_SIZE + header.data_size > f.size:
        raise InputError(
            f.path,
            f"uImage payload (+{header.data_size} bytes after the 64-byte header) runs past "
            f"the end of the file ({f.size} bytes)",
        )
    return KernelImage(
        path=f.path,
        format=ImageFormat.UIMAGE,
        size=f.size,
        arch=bh.uimage_arch(header),
        efi_stub=False,
        compression=bh.UIMAGE_COMPRESSION.get(header.compression),
        version=header.name or None,
        release=release_of(header.name.removeprefix("Linux-")),
        uimage_header=header,
    )


def read_image(path: str) -> KernelImage:
    """Read the format, architecture, version and boot header of a kernel image."""
    with ImageFile(path) as f:
        head = f.head()
        fmt = classify(path, head)
        if fmt is ImageFormat.VMLINUX:
            return _read_vmlinux(f, head)
        if fmt is ImageFormat.BZIMAGE:
            return _read_bzimage(f, head)
        if fmt is ImageFormat.EFI_ZBOOT:
            return _read_zboot(f, head)
        if fmt is ImageFormat.UIMAGE:
            return _read_uimage(f, head)
        common: dict[str, Any] = dict(path=path, format=fmt, size=f.size, version=None, release=None)
        if fmt is ImageFormat.ARM64_IMAGE:
            return KernelImage(**common, arch="arm64", efi_stub=head.startswith(b"MZ"),
                               compression=None, arm64_header=bh.parse_arm64(path, head))
        if fmt is ImageFormat.RISCV_IMAGE:
            return KernelImage(**common, arch="riscv64", efi_stub=head.startswith(b"MZ"),
                               compression=None, riscv_header=bh.parse_riscv(path, head))
        if fmt is ImageFormat.ARM_ZIMAGE:
            return KernelImage(**common, arch="arm", efi_stub=head.startswith(b"MZ"),
                               compression=None, zimage_header=bh.parse_zimage(path, head))
        # A bare compressed file: arch and version are inside the stream.
        return KernelImage(**common, arch=None, efi_stub=False, compression=detect_compression(head))

