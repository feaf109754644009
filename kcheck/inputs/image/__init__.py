"""Kernel image readers: vmlinux (ELF), bzImage, arm64/RISC-V Image, zImage, uImage, EFI zboot.

Public API::

    identify(path) -> ImageFormat          # from the bytes, never the name
    read_image(path) -> KernelImage        # headers only, bounded reads
    extract_ikconfig(path) -> bytes | None # the CONFIG_IKCONFIG .config text

Every problem with the file is an :class:`kcheck.domain.errors.InputError`.
"""

from __future__ import annotations

from kcheck.inputs.image.identify import identify
from kcheck.inputs.image.ikconfig import CONFIG_LIMIT, PAYLOAD_LIMIT, extract_ikconfig
from kcheck.inputs.image.model import (
    Arm64Header,
    ArmZImageHeader,
    Compression,
    ElfInfo,
    ElfNote,
    ImageFormat,
    KernelImage,
    LoadSegment,
    RiscvHeader,
    SetupHeader,
    UImageHeader,
    ZbootHeader,
)
from kcheck.inputs.image.reader import read_image

__all__ = [
    "CONFIG_LIMIT",
    "PAYLOAD_LIMIT",
    "Arm64Header",
    "ArmZImageHeader",
    "Compression",
    "ElfInfo",
    "ElfNote",
    "ImageFormat",
    "KernelImage",
    "LoadSegment",
    "RiscvHeader",
    "SetupHeader",
    "UImageHeader",
    "ZbootHeader",
    "extract_ikconfig",
    "identify",
    "read_image",
]
