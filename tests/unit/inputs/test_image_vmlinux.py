"""vmlinux (ELF) reading on files linked with binutils at test time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from image_build import BANNER, CONFIG_TEXT, link_vmlinux

from kcheck.domain.errors import InputError
from kcheck.inputs.image import ImageFormat, extract_ikconfig, identify, read_image


def _readelf(args: list[str], path: Path) -> str:
    if shutil.which("readelf") is None:
        pytest.skip("readelf is not installed")
    return subprocess.run(["readelf", *args, str(path)], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize(
    ("emulation", "arch", "elf_class", "machine_name", "vbase"),
    [
        ("elf_x86_64", "x86_64", 64, "EM_X86_64", 0xFFFFFFFF81000000),
        ("elf_i386", "i386", 32, "EM_386", 0xC1000000),
    ],
)
def test_segments_at_physical_addresses(tmp_path: Path, emulation: str, arch: str, elf_class: int,
                                        machine_name: str, vbase: int) -> None:
    path = link_vmlinux(tmp_path, emulation=emulation)
    assert identify(str(path)) is ImageFormat.VMLINUX
    image = read_image(str(path))
    assert image.format is ImageFormat.VMLINUX
    assert image.arch == arch
    elf = image.elf
    assert elf is not None
    assert (elf.elf_class, elf.endianness, elf.machine_name, elf.type) == (elf_class, "little", machine_name, 2)
    assert elf.entry == vbase
    # The linker script puts .text at AT(0x1000000) and .data 2 MiB later.
    assert [(s.p_paddr, s.p_vaddr) for s in elf.segments] == [
        (0x1000000, vbase),
        (0x1200000, vbase + 0x200000),
    ]
    assert elf.segments[0].p_flags == 5 and elf.segments[1].p_flags == 6
    assert not elf.truncated
    assert image.version == BANNER
    assert image.release == "6.1.0-test-amd64"


def test_segments_agree_with_readelf(tmp_path: Path) -> None:
    path = link_vmlinux(tmp_path, data_gap=0x400000)
    out = _readelf(["-lW"], path)
    expected = [
        tuple(int(v, 16) for v in (m[0], m[1], m[2], m[3], m[4]))
        for m in re.findall(r"^\s*LOAD\s+(0x\w+)\s+(0x\w+)\s+(0x\w+)\s+(0x\w+)\s+(0x\w+)", out, re.M)
    ]
    elf = read_image(str(path)).elf
    assert elf is not None
    got = [(s.p_offset, s.p_vaddr, s.p_paddr, s.p_filesz, s.p_memsz) for s in elf.segments]
    assert got == expected and len(got) == 2


def test_xen_notes_are_read_by_owner_name(tmp_path: Path) -> None:
    path = link_vmlinux(tmp_path, xen_note=True, build_id=True)
    elf = read_image(str(path)).elf
    assert elf is not None
    xen = [n for n in elf.notes if n.name == "Xen"]
    # Type 5 is NT_GNU_PROPERTY_TYPE_0 and 3 NT_GNU_BUILD_ID in the GNU namespace.
    assert [(n.type, n.type_name) for n in xen] == [
        (5, "XEN_ELFNOTE_XEN_VERSION"),
        (3, "XEN_ELFNOTE_VIRT_BASE"),
    ]
    assert xen[0].desc == b"xen-3.0\x00"
    build_id = re.search(r"Build ID: ([0-9a-f]+)", _readelf(["-n"], path))
    assert build_id is not None
    # The Xen type-3 note must not be taken for the build id.
    assert elf.build_id == build_id.group(1)
    assert len(elf.build_id) == 40


def test_no_build_id_without_gnu_note(tmp_path: Path) -> None:
    path = link_vmlinux(tmp_path, xen_note=True, build_id=False)
    elf = read_image(str(path)).elf
    assert elf is not None and elf.build_id is None
    assert all(n.name == "Xen" for n in elf.notes)


def test_debug_info_from_section_headers(tmp_path: Path) -> None:
    with_debug = read_image(str(link_vmlinux(tmp_path, "with", debug=True))).elf
    without = read_image(str(link_vmlinux(tmp_path, "without", debug=False))).elf
    assert with_debug is not None and without is not None
    assert with_debug.has_debug_info is True
    assert ".debug_info" in (with_debug.sections or ())
    assert without.has_debug_info is False
    assert without.sections is not None and ".rodata" in without.sections


def test_header_only_copy_is_not_a_valid_kernel_image(tmp_path: Path) -> None:
    """ehdr + phdrs + PT_NOTE kept, the rest cut off: the .data PT_LOAD lies past the end of
    the file, which kexec could never load (issue 14 row 10; it used to pass as "truncated")."""
    path = link_vmlinux(tmp_path, xen_note=True, build_id=True, debug=True)
    note_end = max(n for n in _note_ends(path))
    cut = tmp_path / "vmlinux.hdr.elf"
    cut.write_bytes(path.read_bytes()[:note_end])
    with pytest.raises(InputError, match=r"not a valid kernel image: PT_LOAD segment \d+ \(\d+ bytes at "
                                         rf"offset 0x[0-9a-f]+\) lies outside the {note_end}-byte file"):
        read_image(str(cut))


def _note_ends(path: Path) -> list[int]:
    out = _readelf(["-lW"], path)
    return [int(o, 16) + int(s, 16) for o, s in re.findall(r"^\s*NOTE\s+(0x\w+)\s+\S+\s+\S+\s+(0x\w+)", out, re.M)]


def test_banner_without_sections_is_found_in_load_segments(tmp_path: Path) -> None:
    path = link_vmlinux(tmp_path)
    data = bytearray(path.read_bytes())
    # Point e_shoff past the end: no usable section table, as in stripped copies.
    data[0x28:0x30] = (len(data) + 0x1000).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    image = read_image(str(path))
    assert image.elf is not None and image.elf.sections is None
    assert image.version == BANNER


def test_ikconfig_from_vmlinux(tmp_path: Path) -> None:
    path = link_vmlinux(tmp_path, ikconfig=CONFIG_TEXT)
    assert extract_ikconfig(str(path)) == CONFIG_TEXT
    assert extract_ikconfig(str(link_vmlinux(tmp_path, "plain"))) is None


def test_sparse_1gib_vmlinux_is_read_with_bounded_memory(tmp_path: Path) -> None:
    """A 1 GiB vmlinux (DWARF after the loadable part) costs what a small one does."""
    path = link_vmlinux(tmp_path, xen_note=True, build_id=True)
    small = read_image(str(path))
    big = tmp_path / "vmlinux-1g"
    shutil.copyfile(path, big)
    os.truncate(big, 1 << 30)  # sparse: no disk blocks for the hole
    tracemalloc.start()
    try:
        image = read_image(str(big))
        assert identify(str(big)) is ImageFormat.VMLINUX
        assert extract_ikconfig(str(big)) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert image.size == 1 << 30
    assert image.elf == small.elf
    assert image.version == small.version
    assert peak < 8 << 20, f"peak traced memory {peak} bytes"


def test_relocatable_object_is_not_a_kernel(tmp_path: Path) -> None:
    from image_build import assemble_object

    with pytest.raises(InputError, match=r"not a kernel image \(ELF relocatable object"):
        identify(str(assemble_object(tmp_path)))
