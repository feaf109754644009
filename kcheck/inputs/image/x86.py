"""x86 bzImage: setup header, payload location and compression.

Offsets and protocol versions are those of Documentation/x86/boot.rst (see
kdump-rules.md section D).  A field is read only when the header's protocol
version says it exists: in a 2.04 image the bytes at 0x230.. are setup code.
"""

from __future__ import annotations

from kcheck.domain.errors import InputError
from kcheck.inputs.image.compression import detect_compression
from kcheck.inputs.image.fileio import ImageFile
from kcheck.inputs.image.model import (
    LOADFLAG_NAMES,
    XLOADFLAG_NAMES,
    Compression,
    SetupHeader,
    flag_names,
)

BOOT_FLAG = 0xAA55
HDRS = b"HdrS"
LOADED_HIGH = 0x01
XLF_KERNEL_64 = 0x01

# The header ends at 0x26C in protocol 2.15; read up to 0x280.
_HEADER_END = 0x280


def is_bzimage(head: bytes) -> bool:
    """0xAA55 at 0x1FE and "HdrS" at 0x202, as kexec-tools' bzImage probe checks."""
    return (
        len(head) >= 0x212
        and int.from_bytes(head[0x1FE:0x200], "little") == BOOT_FLAG
        and head[0x202:0x206] == HDRS
    )


def _u(buf: bytes, offset: int, size: int) -> int:
    return int.from_bytes(buf[offset : offset + size], "little")


def parse_setup_header(path: str, buf: bytes) -> SetupHeader:
    """Decode the setup header from the first bytes of a bzImage (>= 0x212 bytes)."""
    if len(buf) < _HEADER_END:
        raise InputError(path, f"truncated bzImage: setup header needs {_HEADER_END:#x} bytes, file has {len(buf)}")
    version = _u(buf, 0x206, 2)

    def since(minimum: int, offset: int, size: int) -> int | None:
        return _u(buf, offset, size) if version >= minimum else None

    setup_sects = buf[0x1F1] or 4  # boot.rst: "If this field is 0, the real value is 4"
    loadflags = buf[0x211]
    relocatable = since(0x0205, 0x234, 1)
    xloadflags = since(0x020C, 0x236, 2)
    return SetupHeader(
        setup_sects=setup_sects,
        version=version,
        loadflags=loadflags,
        loadflag_names=flag_names(loadflags, LOADFLAG_NAMES),
        kernel_version_offset=_u(buf, 0x20E, 2),
        code32_start=_u(buf, 0x214, 4),
        syssize=since(0x0204, 0x1F4, 4),
        initrd_addr_max=since(0x0203, 0x22C, 4),
        kernel_alignment=since(0x0205, 0x230, 4),
        relocatable_kernel=None if relocatable is None else relocatable != 0,
        min_alignment=since(0x020A, 0x235, 1),
        xloadflags=xloadflags,
        xloadflag_names=None if xloadflags is None else flag_names(xloadflags, XLOADFLAG_NAMES),
        cmdline_size=since(0x0206, 0x238, 4),
        payload_offset=since(0x0208, 0x248, 4),
        payload_length=since(0x0208, 0x24C, 4),
        pref_address=since(0x020A, 0x258, 8),
        init_size=since(0x020A, 0x260, 4),
        handover_offset=since(0x020B, 0x264, 4),
        kernel_info_offset=since(0x020F, 0x268, 4),
    )


def check_bzimage(f: ImageFile, setup: SetupHeader) -> None:
    """Refuse headers that cannot describe this file."""
    if setup.version < 0x0200:
        raise InputError(f.path, f"not a bzImage (boot protocol {setup.protocol} is older than 2.00)")
    if not setup.loadflags & LOADED_HIGH:
        raise InputError(
            f.path, "not a kernel image kcheck can read (x86 zImage: loadflags LOADED_HIGH is clear)"
        )
    if setup.protected_mode_offset >= f.size:
        raise InputError(
            f.path,
            f"truncated bzImage: {setup.setup_sects} setup sectors end at "
            f"{setup.protected_mode_offset:#x}, past the end of the file ({f.size} bytes)",
        )
    start = setup.payload_file_offset
    if start is not None and setup.payload_length is not None:
        if setup.payload_length == 0 or start + setup.payload_length > f.size:
            raise InputError(
                f.path,
                f"payload at {start:#x} (+{setup.payload_length} bytes) runs past the end "
                f"of the file ({f.size} bytes)"
                if setup.payload_length
                else "bzImage payload_length is 0",
            )


def bzimage_arch(setup: SetupHeader) -> str | None:
    """x86_64 or i386 from XLF_KERNEL_64 (2.12+); None for older headers.

    header.S sets XLF_KERNEL_64 exactly when CONFIG_X86_64, so with 2.12+ its
    absence means a 32-bit kernel; before 2.12 the width is not recorded.
    """
    if setup.xloadflags is None:
        return None
    return "x86_64" if setup.xloadflags & XLF_KERNEL_64 else "i386"


def kernel_version_string(f: ImageFile, setup: SetupHeader) -> str | None:
    """The NUL-terminated string kernel_version (0x20E) points at, +0x200.

    boot.rst: "If set to a nonzero value, contains a pointer to a NUL-terminated
    human-readable kernel version number string, less 0x200."
    """
    if not setup.kernel_version_offset:
        return None
    offset = setup.kernel_version_offset + 0x200
    if offset >= setup.protected_mode_offset:
        return None  # it must point into the setup code
    raw = f.read_upto(offset, 512).split(b"\x00", 1)[0]
    text = raw.decode("ascii", "replace").strip()
    return text or None


def payload_compression(f: ImageFile, setup: SetupHeader) -> Compression | None:
    """Compression of the payload, from its magic bytes (2.08+ only)."""
    start = setup.payload_file_offset
    if start is None:
        return None
    compression = detect_compression(f.read_upto(start, 16))
    if compression is None:
        raise InputError(f.path, f"bzImage payload at {start:#x} has no known compression magic")
    return compression


def payload_range(setup: SetupHeader) -> tuple[int, int] | None:
    """(file offset, length) of the compressed payload, None before 2.08."""
    start = setup.payload_file_offset
    if start is None or setup.payload_length is None:
        return None
    return start, setup.payload_length


def appended_size(f: ImageFile, setup: SetupHeader) -> int | None:
    """The size_append trailer: the last 4 bytes of the payload (2.08+)."""
    where = payload_range(setup)
    if where is None or where[1] < 4:
        return None
    start, length = where
    return int.from_bytes(f.read_exact(start + length - 4, 4, "payload size trailer"), "little")
