"""Optional checks on real Debian images (KCHECK_CORPUS=<dir with boot/vmlinuz-*>).

Get one with: apt-get download linux-image-6.1.0-56-amd64-unsigned && dpkg -x *.deb corpus
Expected values: /work/shared/reference/kconfiglib-and-corpus.md section 4.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kcheck.inputs.image import Compression, ImageFormat, extract_ikconfig, identify, read_image

CORPUS = os.environ.get("KCHECK_CORPUS")
IMAGES = sorted(Path(CORPUS).glob("boot/vmlinuz-*")) if CORPUS else []

pytestmark = pytest.mark.skipif(
    not IMAGES,
    reason="KCHECK_CORPUS is not set or has no boot/vmlinuz-* (unpack a linux-image-*-unsigned .deb there)",
)

# Measured on Debian 6.1.0-56-amd64 (6.1.192-2), kconfiglib-and-corpus.md section 4.
KNOWN = {
    "6.1.0-56-amd64": dict(setup_sects=39, kernel_alignment=0x200000, min_alignment=21, xloadflags=0x7F,
                           payload_offset=0x2CC, payload_length=8_122_480, pref_address=0x1000000,
                           init_size=0x3F98000),
}


@pytest.mark.parametrize("vmlinuz", IMAGES, ids=[p.name for p in IMAGES])
def test_debian_vmlinuz_setup_header(vmlinuz: Path) -> None:
    assert identify(str(vmlinuz)) is ImageFormat.BZIMAGE
    start = time.perf_counter()
    image = read_image(str(vmlinuz))
    elapsed = time.perf_counter() - start
    setup = image.setup_header
    assert setup is not None
    assert image.efi_stub  # Debian images carry the EFI stub
    assert setup.protocol == "2.15"
    assert setup.relocatable_kernel is True
    assert image.compression is Compression.XZ
    release = vmlinuz.name.removeprefix("vmlinuz-")
    assert image.release == release
    assert elapsed < 0.5
    for field, value in KNOWN.get(release, {}).items():
        assert getattr(setup, field) == value, field
    if release == "6.1.0-56-amd64":
        assert image.arch == "x86_64"
        assert image.decompressed_size == 65_906_612


@pytest.mark.parametrize("vmlinuz", IMAGES, ids=[p.name for p in IMAGES])
def test_debian_vmlinuz_ikconfig_matches_config(vmlinuz: Path) -> None:
    """Debian never builds CONFIG_IKCONFIG=y, so the payload has no blob."""
    config = vmlinuz.parent / vmlinuz.name.replace("vmlinuz-", "config-")
    found = extract_ikconfig(str(vmlinuz))
    if config.exists() and b"\nCONFIG_IKCONFIG=y\n" in config.read_bytes():
        assert found == config.read_bytes()
    elif config.exists():
        assert found is None
