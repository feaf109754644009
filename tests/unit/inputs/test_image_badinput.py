"""Bad inputs give one clear InputError, quickly, never a traceback or a hang."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from image_build import build_bzimage, compress, link_vmlinux, size_append

from kcheck.domain.errors import InputError
from kcheck.inputs.image import extract_ikconfig, identify, read_image
from tests.conftest import ROOT

READERS: list[Callable[[str], object]] = [identify, read_image, extract_ikconfig]


def _all_fail(path: str, pattern: str) -> None:
    for reader in READERS:
        with pytest.raises(InputError, match=pattern) as info:
            reader(path)
        assert info.value.source == path


def _write(tmp_path: Path, data: bytes, name: str = "image") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_missing_file(tmp_path: Path) -> None:
    _all_fail(str(tmp_path / "nope"), "no such file")


def test_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "vmlinuz"
    link.symlink_to(tmp_path / "gone")
    _all_fail(str(link), "no such file")


def test_directory(tmp_path: Path) -> None:
    _all_fail(str(tmp_path), "is a directory|a directory")


def test_empty_file(tmp_path: Path) -> None:
    _all_fail(_write(tmp_path, b""), "empty file")


def test_garbage(tmp_path: Path) -> None:
    _all_fail(_write(tmp_path, b"hello, this is not a kernel\n" * 100),
              r"not a kernel image \(unrecognised magic bytes 68 65 6c 6c 6f 2c 20 74\)")


def test_tiny_file(tmp_path: Path) -> None:
    _all_fail(_write(tmp_path, b"MQ"), r"not a kernel image \(unrecognised contents, only 2 bytes")


def test_zero_filled_file(tmp_path: Path) -> None:
    _all_fail(_write(tmp_path, bytes(1 << 16)), r"not a kernel image \(the first 4096 bytes are all zero\)")


def test_pe_without_linux_header(tmp_path: Path) -> None:
    _all_fail(_write(tmp_path, b"MZ" + bytes(4000)), "PE/EFI executable without a Linux boot header")


def test_dev_zero() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    _all_fail("/dev/zero", r"not a regular file \(a character device\)")


def test_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def run() -> None:
        for reader in READERS:
            try:
                reader(str(fifo))
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "reading a FIFO blocked"
    assert len(errors) == 3
    assert all(isinstance(e, InputError) and "not a regular file (a FIFO)" in e.message for e in errors)


@pytest.fixture(scope="module")
def vmlinux64(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return link_vmlinux(tmp_path_factory.mktemp("elf"), build_id=True, xen_note=True).read_bytes()


def test_truncated_elf_header(tmp_path: Path, vmlinux64: bytes) -> None:
    _all_fail(_write(tmp_path, vmlinux64[:40]), r"truncated ELF header \(40 of 64 bytes\)")


def test_elf_header_only(tmp_path: Path, vmlinux64: bytes) -> None:
    path = _write(tmp_path, vmlinux64[:64])
    assert identify(path).value == "vmlinux"  # the header alone identifies it
    for reader in (read_image, extract_ikconfig):
        with pytest.raises(InputError, match=r"truncated ELF: program headers at 0x40 \(3 x 56 bytes\) "
                                             r"are past the end of the file \(64 bytes\)"):
            reader(path)


def _patched(data: bytes, offset: int, size: int, value: int) -> bytes:
    out = bytearray(data)
    out[offset : offset + size] = value.to_bytes(size, "little")
    return bytes(out)


def test_absurd_phnum(tmp_path: Path, vmlinux64: bytes) -> None:
    path = _write(tmp_path, _patched(vmlinux64, 0x38, 2, 0xFFFF))
    with pytest.raises(InputError, match="absurd ELF program header count e_phnum=65535"):
        read_image(path)


def test_absurd_phoff(tmp_path: Path, vmlinux64: bytes) -> None:
    path = _write(tmp_path, _patched(vmlinux64, 0x20, 8, 1 << 62))
    with pytest.raises(InputError, match="program headers at 0x4000000000000000 .* past the end"):
        read_image(path)


def test_bad_phentsize(tmp_path: Path, vmlinux64: bytes) -> None:
    with pytest.raises(InputError, match=r"bad ELF e_phentsize 12 \(expected 56\)"):
        read_image(_write(tmp_path, _patched(vmlinux64, 0x36, 2, 12)))


def test_no_program_headers(tmp_path: Path, vmlinux64: bytes) -> None:
    with pytest.raises(InputError, match="no program headers"):
        read_image(_write(tmp_path, _patched(vmlinux64, 0x38, 2, 0)))


def test_absurd_section_table_is_ignored(tmp_path: Path, vmlinux64: bytes) -> None:
    """A broken section table only hides sections; segments and notes still read."""
    image = read_image(_write(tmp_path, _patched(vmlinux64, 0x3C, 2, 0xFFF0)))
    assert image.elf is not None and image.elf.sections is None and image.elf.build_id


def test_bad_elf_class(tmp_path: Path, vmlinux64: bytes) -> None:
    _all_fail(_write(tmp_path, _patched(vmlinux64, 4, 1, 7)), r"ELF with invalid class 7")


def test_core_file_is_not_a_kernel(tmp_path: Path, vmlinux64: bytes) -> None:
    _all_fail(_write(tmp_path, _patched(vmlinux64, 16, 2, 4)), r"not a kernel image \(ELF core file")


def test_big_endian_ppc64_header(tmp_path: Path) -> None:
    """Hand-made ELF64 big-endian header + one PT_LOAD: arch comes from class and data."""
    import struct

    ehdr = b"\x7fELF\x02\x02\x01" + bytes(9) + struct.pack(
        ">HHIQQQIHHHHHH", 2, 21, 1, 0xC000000000000000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    phdr = struct.pack(">IIQQQQQQ", 1, 7, 0x1000, 0xC000000000000000, 0, 0x100, 0x287C918, 0x10000)
    image = read_image(_write(tmp_path, ehdr + phdr + bytes(0x1100)))
    assert image.arch == "ppc64"
    assert image.elf is not None and image.elf.endianness == "big" and image.elf.machine_name == "EM_PPC64"
    assert [(s.p_paddr, s.p_vaddr, s.p_memsz) for s in image.elf.segments] == [(0, 0xC000000000000000, 0x287C918)]
    assert image.elf.truncated is False and image.elf.sections is None


# --- property tests: any bytes give a result or an InputError ----------------------------

def _check_any(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "image")
        with open(path, "wb") as f:
            f.write(data)
        for reader in READERS:
            try:
                reader(path)
            except InputError:
                pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=5000))
def test_random_bytes(data: bytes) -> None:
    _check_any(data)


_BZ = build_bzimage(size_append(compress(b"\x7fELF" + bytes(3000) + b"IKCFG_ST", "gzip"), 3012))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0x1F0, 0x290), st.integers(0, 255)), min_size=1, max_size=8))
def test_mutated_bzimage_header(edits: list[tuple[int, int]]) -> None:
    data = bytearray(_BZ)
    for offset, value in edits:
        data[offset] = value
    _check_any(bytes(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 0x200), st.integers(0, 255)), min_size=1, max_size=8))
def test_mutated_elf_headers(vmlinux64: bytes, edits: list[tuple[int, int]]) -> None:
    data = bytearray(vmlinux64)
    for offset, value in edits:
        data[offset] = value
    _check_any(bytes(data))


def test_heavy_modules_are_imported_lazily() -> None:
    """Start-up time: importing the readers loads no parser or decompressor library."""
    import subprocess
    import sys

    code = ("import sys, kcheck.inputs.image; "
            "print(','.join(m for m in ('elftools', 'lzma', 'bz2', 'zstandard', 'lz4') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == ""
