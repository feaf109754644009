"""Checks on a real Debian image, fetched by .ci/fetch-corpus (skipped without it).

Expected values: ../shared/reference/kconfiglib-and-corpus.md section 4.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kcheck.inputs.image import Compression, ImageFormat, extract_ikconfig, identify, read_image

from tests.corpus import corpus_image, corpus_image_config, corpus_image_manifest, requires_corpus

IMAGES = [image] if (image := corpus_image()) is not None else []

pytestmark = requires_corpus("image")

# Measured on Debian 6.1.0-56-amd64 (6.1.192-2), kconfiglib-and-corpus.md section 4.
KNOWN = {
    "6.1.0-56-amd64": dict(setup_sects=39, kernel_alignment=0x200000, min_alignment=21, xloadflags=0x7F,
                           payload_offset=0x2CC, payload_length=8_122_480, pref_address=0x1000000,
                           init_size=0x3F98000),
}


@pytest.mark.parametrize("vmlinuz", IMAGES, ids=[p.name for p in IMAGES])
def test_debian_vmlinuz_setup_header(vmlinuz: Path) -> None:
    assert identify(str(vmlinuz)) is ImageFormat.BZIMAGE
    image = read_image(str(vmlinuz))
    setup = image.setup_header
    assert setup is not None
    assert image.efi_stub  # Debian images carry the EFI stub
    assert setup.protocol == "2.15"
    assert setup.relocatable_kernel is True
    assert image.compression is Compression.XZ
    release = corpus_image_manifest()["kernel_release"]
    assert image.release == release
    for field, value in KNOWN.get(release, {}).items():
        assert getattr(setup, field) == value, field
    if release == "6.1.0-56-amd64":
        assert image.arch == "x86_64"
        assert image.decompressed_size == 65_906_612


@pytest.mark.parametrize("vmlinuz", IMAGES, ids=[p.name for p in IMAGES])
def test_debian_vmlinuz_ikconfig_matches_config(vmlinuz: Path) -> None:
    """Debian never builds CONFIG_IKCONFIG=y, so the payload has no blob."""
    config = corpus_image_config()
    assert config is not None
    found = extract_ikconfig(str(vmlinuz))
    if b"\nCONFIG_IKCONFIG=y\n" in config.read_bytes():
        assert found == config.read_bytes()
    else:
        assert found is None
