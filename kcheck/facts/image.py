"""What rules may ask about a kernel image: ``system.image.*`` / ``capture.image.*``.

The image readers (kcheck.inputs.image) report what the file says; this
module turns it into the few values kdump depends on: the format, where and
how much memory the kernel occupies, whether kexec can relocate it, and
whether it matches the config it was checked with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kcheck.domain import arch as arches
from kcheck.domain.memory import kernel_footprint
from kcheck.domain.version import KernelVersion

if TYPE_CHECKING:  # the image package is imported only when an image is read
    from kcheck.inputs.image.model import KernelImage

XLF_KERNEL_64 = 1 << 0
XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1


def load_range(image: KernelImage) -> tuple[int, int] | None:
    """``[start, end)`` of a vmlinux's PT_LOAD segments at their physical addresses."""
    if image.elf is None or not image.elf.segments:
        return None
    start = min(s.p_paddr for s in image.elf.segments)
    end = max(s.p_paddr + s.p_memsz for s in image.elf.segments)
    return start, end


def footprint(image: KernelImage) -> int | None:
    """Memory the kernel needs where it is loaded: bzImage init_size, arm64 Image image_size
    (booting.rst: the image with its bss, which kexec-tools places in the region), or the PT_LOAD span."""
    init_size = image.setup_header.init_size if image.setup_header is not None else None
    if image.arm64_header is not None:
        init_size = image.arm64_header.image_size or None     # 0: before 3.17, not given
    segments = image.elf.segments if image.elf is not None else ()
    return kernel_footprint(init_size, ((s.p_paddr, s.p_memsz) for s in segments))


def relocatable(image: KernelImage) -> bool | None:
    """kexec's test for a capture bzImage: protocol >= 2.05 and relocatable_kernel."""
    header = image.setup_header
    if header is None:
        return None
    return header.version >= 0x0205 and bool(header.relocatable_kernel)


def version_matches(image: KernelImage, config_version: KernelVersion | None) -> bool | None:
    """The image's release is the config's version; None when either is unknown."""
    found = KernelVersion.parse(image.release) if image.release else None
    if found is None or config_version is None:
        return None
    # 2.6.x releases differ in the third number; from 3.0 the third is a
    # stable update, and distributions name images by ABI (6.1.0-56 is 6.1.192).
    width = 3 if found.parts[0] < 3 else 2
    return found.parts[:width] == config_version.parts[:width]


def xloadflag(image: KernelImage, bit: int) -> bool | None:
    """One of a bzImage's xloadflags; False before protocol 2.12, None for other formats."""
    header = image.setup_header
    if header is None or header.xloadflags is None:
        return False if header is not None else None
    return bool(header.xloadflags & bit)


def arch_matches(image: KernelImage, config_arch: str | None) -> bool | None:
    """Same architecture; a bzImage before protocol 2.12 does not say its width (None)."""
    if image.arch is None or config_arch is None:
        return None
    return image.arch == config_arch or arches.matches(image.arch, (config_arch,))
