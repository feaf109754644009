"""Builders for the image reader tests: real ELF files from binutils, bzImages from boot.rst.

Nothing here is a mock: vmlinux-like files are assembled and linked with
`as`/`ld` at test time with a linker script shaped like arch/x86/kernel/
vmlinux.lds.S (AT() physical addresses, PHDRS), payloads are compressed with
the same tools and options the kernel build uses when they are installed
(scripts/Makefile.lib, scripts/xz_wrap.sh), else with the Python bindings
of the same libraries.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
import subprocess
from pathlib import Path

import pytest

CONFIG_TEXT = (
    b"#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.0-test Kernel Configuration\n#\n"
    b"CONFIG_64BIT=y\nCONFIG_IKCONFIG=y\nCONFIG_CRASH_DUMP=y\nCONFIG_KEXEC=y\n"
    b"CONFIG_PHYSICAL_START=0x1000000\nCONFIG_RELOCATABLE=y\n# CONFIG_DEBUG_INFO is not set\n"
)
BANNER = "Linux version 6.1.0-test-amd64 (kcheck@tests) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC"

# emulation -> (paddr base, vaddr base): LOAD_PHYSICAL_ADDR and __START_KERNEL_map
# (x86_64) / PAGE_OFFSET (i386) + LOAD_PHYSICAL_ADDR.
LAYOUTS = {
    "elf_x86_64": (0x1000000, 0xFFFFFFFF81000000, "--64"),
    "elf_i386": (0x1000000, 0xC1000000, "--32"),
}


def require_binutils() -> None:
    for tool in ("as", "ld"):
        if shutil.which(tool) is None:
            pytest.skip(f"binutils '{tool}' is not installed (.ci/run installs it)")


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stderr}")


def link_vmlinux(
    tmp: Path,
    name: str = "vmlinux",
    *,
    emulation: str = "elf_x86_64",
    xen_note: bool = False,
    build_id: bool = False,
    debug: bool = False,
    ikconfig: bytes | None = None,
    banner: str | None = BANNER,
    data_gap: int = 0x200000,
    paddr: int | None = None,
) -> Path:
    """Assemble and link a vmlinux-like ELF with .text/.rodata/.notes and .data PT_LOADs.

    ``paddr`` moves the physical load address (CONFIG_PHYSICAL_START) and the
    virtual addresses with it, as the kernel's linker script does.
    """
    require_binutils()
    base, vaddr, as_flag = LAYOUTS[emulation]
    if paddr is not None:
        vaddr += paddr - base
    else:
        paddr = base
    work = tmp / f"{name}.build"
    work.mkdir(parents=True, exist_ok=True)
    rodata = ""
    if banner is not None:
        rodata += f'linux_banner:\n\t.ascii "{banner}\\n"\n\t.byte 0\n'
    if ikconfig is not None:
        (work / "config_data.gz").write_bytes(gzip.compress(ikconfig, mtime=0))
        # kernel/configs.c
        rodata += '\t.ascii "IKCFG_ST"\nkernel_config_data:\n\t.incbin "config_data.gz"\n\t.ascii "IKCFG_ED"\n'
    xen = ""
    if xen_note:
        # arch/x86/xen/xen-head.S: ELFNOTE(Xen, XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0")
        # type 5 is NT_GNU_PROPERTY_TYPE_0 in the GNU namespace.
        xen = (
            '\t.section .note.Xen,"a"\n\t.balign 4\n\t.long 4\n\t.long 8\n\t.long 5\n'
            '\t.asciz "Xen"\n\t.balign 4\n\t.asciz "xen-3.0"\n\t.balign 4\n'
            # XEN_ELFNOTE_VIRT_BASE (3) == NT_GNU_BUILD_ID's number
            '\t.long 4\n\t.long 8\n\t.long 3\n\t.asciz "Xen"\n\t.balign 4\n\t.quad 0xffffffff80000000\n'
        )
    source = (
        '\t.section .text,"ax"\n\t.globl _start\n_start:\n\tnop\n\tjmp _start\n'
        f'\t.section .rodata,"a"\n{rodata}\t.byte 0\n'
        f'\t.section .data,"aw"\n\t.long 0x11223344\n{xen}'
    )
    (work / "head.S").write_text(source)
    script = f"""
ENTRY(_start)
PHDRS {{ text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); note PT_NOTE FLAGS(0); }}
SECTIONS {{
  . = {vaddr:#x};
  .text : AT({paddr:#x}) {{ *(.text) }} :text
  .rodata : AT(ADDR(.rodata) - {vaddr - paddr:#x}) {{ *(.rodata) }} :text
  .notes : AT(ADDR(.notes) - {vaddr - paddr:#x}) {{ *(.note.*) }} :text :note
  . = ALIGN({data_gap:#x});
  .data : AT(ADDR(.data) - {vaddr - paddr:#x}) {{ *(.data) }} :data
}}
"""
    (work / "vmlinux.lds").write_text(script)
    as_cmd = ["as", as_flag, "-o", "head.o", "head.S"]
    if debug:
        as_cmd.insert(1, "--gdwarf-5")
    _run(as_cmd, work)
    ld_cmd = ["ld", "-m", emulation, "-T", "vmlinux.lds", "-o", str(tmp / name), "head.o"]
    if build_id:
        ld_cmd.insert(1, "--build-id=sha1")
    _run(ld_cmd, work)
    return tmp / name


def assemble_object(tmp: Path) -> Path:
    """A relocatable object (ET_REL): an ELF that is not a kernel image."""
    require_binutils()
    (tmp / "obj.S").write_text("\t.text\n\tnop\n")
    _run(["as", "--64", "-o", "obj.o", "obj.S"], tmp)
    return tmp / "obj.o"


def _tool(cmd: list[str], data: bytes) -> bytes | None:
    if shutil.which(cmd[0]) is None:
        return None
    return subprocess.run(cmd, input=data, capture_output=True, check=True).stdout


def compress(data: bytes, kind: str) -> bytes:
    """Compress as scripts/Makefile.lib does (cmd_gzip, cmd_xzkern, cmd_lzma, ...)."""
    if kind == "gzip":
        return _tool(["gzip", "-n", "-f", "-9"], data) or gzip.compress(data, 9, mtime=0)
    if kind == "bzip2":
        return _tool(["bzip2", "-9"], data) or bz2.compress(data, 9)
    if kind == "lzma":
        return _tool(["lzma", "-9"], data) or lzma.compress(data, lzma.FORMAT_ALONE, preset=9)
    if kind == "xz":  # scripts/xz_wrap.sh for x86
        out = _tool(["xz", "--check=crc32", "--x86", "--lzma2=,dict=32MiB"], data)
        return out or lzma.compress(
            data, check=lzma.CHECK_CRC32,
            filters=[{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2, "dict_size": 32 << 20}],
        )
    if kind == "zstd":  # cmd_zstd22
        out = _tool(["zstd", "-22", "--ultra", "-q", "-c"], data)
        if out is None:
            import zstandard

            out = zstandard.ZstdCompressor(level=22).compress(data)
        return out
    if kind == "lz4":  # cmd_lz4: legacy format
        out = _tool(["lz4", "-l", "-9", "-q", "-c"], data)
        if out is None:
            import lz4.block

            out = b"\x02\x21\x4c\x18"
            for i in range(0, len(data), 8 << 20):
                block = lz4.block.compress(data[i : i + (8 << 20)], store_size=False)
                out += len(block).to_bytes(4, "little") + block
        return out
    if kind == "lz4-frame":
        import lz4.frame

        return lz4.frame.compress(data)
    raise ValueError(kind)


def size_append(data: bytes, size: int) -> bytes:
    """scripts/Makefile.lib size_append: le32 decompressed size after the stream."""
    return data + size.to_bytes(4, "little")


def put(buf: bytearray, offset: int, size: int, value: int) -> None:
    buf[offset : offset + size] = value.to_bytes(size, "little")


def build_bzimage(
    payload: bytes,
    *,
    protocol: int = 0x020F,
    setup_sects: int = 4,
    mz: bool = False,
    xloadflags: int = 0x7F,
    kernel_alignment: int = 0x200000,
    relocatable: bool = True,
    init_size: int = 0x3F98000,
    kernel_version: str | None = "6.1.0-test-amd64 (kcheck@tests) #1 SMP PREEMPT_DYNAMIC",
    payload_length: int | None = None,
    loadflags: int = 0x01,
    trailer: bytes = b"\x00" * 64,
) -> bytes:
    """A bzImage laid out per Documentation/x86/boot.rst.

    ``payload`` is the compressed stream including its size_append trailer.
    Fields newer than ``protocol`` are filled with 0xCC, the way a real old
    image has setup code there, so a reader that ignores the version fails.
    """
    setup_size = (setup_sects + 1) * 512
    setup = bytearray(b"\xcc" * setup_size)
    setup[0:0x1F1] = bytes(0x1F1)
    if mz:
        setup[0:2] = b"MZ"
        put(setup, 0x3C, 4, 0x40)
        setup[0x40:0x44] = b"PE\x00\x00"
    setup[0x1F1] = setup_sects
    put(setup, 0x1FE, 2, 0xAA55)
    setup[0x200:0x202] = b"\xeb\x66"
    setup[0x202:0x206] = b"HdrS"
    put(setup, 0x206, 2, protocol)
    setup[0x211] = loadflags
    put(setup, 0x214, 4, 0x100000)
    if kernel_version is not None:
        text = kernel_version.encode() + b"\x00"
        setup[0x400 : 0x400 + len(text)] = text
        put(setup, 0x20E, 2, 0x400 - 0x200)
    else:
        put(setup, 0x20E, 2, 0)
    if protocol >= 0x0203:
        put(setup, 0x22C, 4, 0x7FFFFFFF)
    if protocol >= 0x0204:
        put(setup, 0x1F4, 4, 0)  # syssize, patched below
    if protocol >= 0x0205:
        put(setup, 0x230, 4, kernel_alignment)
        setup[0x234] = 1 if relocatable else 0
    if protocol >= 0x0206:
        put(setup, 0x238, 4, 2047)
    if protocol >= 0x020A:
        setup[0x235] = kernel_alignment.bit_length() - 1
        put(setup, 0x258, 8, 0x1000000)
        put(setup, 0x260, 4, init_size)
    if protocol >= 0x020C:
        put(setup, 0x236, 2, xloadflags)
    decompressor = b"\x90" * 0x2CC  # stands in for arch/x86/boot/compressed code
    if protocol >= 0x0208:
        put(setup, 0x248, 4, len(decompressor))
        put(setup, 0x24C, 4, len(payload) if payload_length is None else payload_length)
    body = decompressor + payload + trailer
    if protocol >= 0x0204:
        put(setup, 0x1F4, 4, (len(body) + 15) // 16)
    return bytes(setup) + body


def arm64_image(*, text_offset: int = 0, image_size: int = 0x2000000, flags: int = 0b1010) -> bytes:
    """An arm64 Image header (EFI stub "MZ") plus filler, per booting.rst."""
    head = bytearray(0x1000)
    head[0:4] = b"MZ\x00\x91"  # "add x13, x18, #0x16" encodes as MZ..
    put(head, 0x08, 8, text_offset)
    put(head, 0x10, 8, image_size)
    put(head, 0x18, 8, flags)
    head[0x38:0x3C] = b"ARM\x64"
    put(head, 0x3C, 4, 0x40)
    return bytes(head) + b"\x00" * 0x1000
