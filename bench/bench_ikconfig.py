#!/usr/bin/env python3
"""Embedded-config extraction from a bzImage: kcheck against scripts/extract-ikconfig.

Budget (issue 7): kcheck extracts the CONFIG_IKCONFIG .config from a bzImage
at least twice as fast as the kernel's own scripts/extract-ikconfig on the
same image, with byte-identical output.

The images are built to look like real ones where it matters for the work
done: a bzImage (boot.rst header, PE "MZ" stub) whose payload, compressed as
scripts/Makefile.lib does (xz with the x86 BCJ filter and a 32 MiB
dictionary; gzip -9 as the second case), is a linked ELF vmlinux.  Where the
blob sits decides the work, because both tools must decompress everything
before it: the payload is arch/x86/boot/compressed's vmlinux.bin, the ELF
vmlinux with .text first, then .rodata, whose start holds kernel/configs.c's
IKCFG_ST + gzip(.config) + IKCFG_ED (kernel/ links early), then the rest of
.rodata, .data and .init.  In Debian's real amd64 6.1 payload (corpus)
.rodata starts 18 MiB into 66 MiB, 27 %.  So:

  xz, gzip   8 MiB of .text, the blob, 22 MiB more (blob at 27 %, as in
             Debian's kernel): the budgeted figures;
  debian     Debian's whole real 66 MiB payload with the blob written over
             the start of its .rodata, recompressed with xz (about 40 s to
             build): the most realistic image, also budgeted;
  xz-late    8 MiB of .text, the blob, 4 MiB more (blob at 67 %): a stress
             case no real kernel has, printed without a budget verdict.
             There both tools are bound by the same liblzma decoder, which
             kcheck cannot outrun; it only stops earlier.

The .config is Debian's real amd64 6.1 config (260 KB).  The .text and the
tail are real kernel bytes, cut from the payload of Debian's vmlinuz in the
corpus, so they compress like kernel code does; without that image a seeded,
kernel-like compressible filler stands in (said in the output).

kcheck is timed as a whole process, ``python -c`` calling
kcheck.inputs.image.extract_ikconfig and writing the config to stdout (the
CLI has no extraction command); the reference is ``sh
<corpus>/linux-6.1/scripts/extract-ikconfig IMAGE``.

Usage: python bench/bench_ikconfig.py [-n 11] [-w 1]
"""

from __future__ import annotations

import argparse
import lzma
import random
import subprocess
import tempfile
from pathlib import Path

from common import (
    FETCH_HINT,
    PYTHON,
    BenchError,
    Command,
    Skip,
    add_run_options,
    check_checkout,
    checkout_env,
    corpus_config,
    corpus_image,
    corpus_root,
    header,
    import_tests_helper,
    kernel_tree,
    main_guard,
    measure,
    require_tools,
    row,
    time_one,
    verdict,
)

TARGET = 2.0
TEXT_BYTES = 8 << 20
TAIL_BYTES = 22 << 20  # the blob at 27 % of the payload, as .rodata starts in Debian's kernel
LATE_TAIL_BYTES = 4 << 20  # the stress case: the blob at 67 %
BUDGETED = ("xz", "gzip", "debian")
EXTRACT = ("import sys; from kcheck.inputs.image import extract_ikconfig; "
           "c = extract_ikconfig(sys.argv[1]); sys.stdout.buffer.write(c) if c is not None else sys.exit(1)")


def kernel_bytes(size: int) -> tuple[bytes, str]:
    """``size`` bytes of real vmlinux (after its first 2 MiB of ELF header padding), or a stand-in."""
    image = corpus_image()
    if image is not None:
        data = image.read_bytes()
        start = data.find(b"\xfd7zXZ\x00")
        if start >= 0:
            vmlinux = lzma.LZMADecompressor().decompress(data[start:], max_length=(2 << 20) + size)
            if len(vmlinux) == (2 << 20) + size and b"IKCFG_ST" not in vmlinux:
                return vmlinux[2 << 20 :], f"real kernel bytes from {image.name}"
    # Kernel code compresses about 3.5:1 under xz: short fresh runs mixed with
    # copies of earlier runs give a similar mix of literals and matches.
    rng = random.Random(61)
    out = bytearray()
    while len(out) < size:
        if len(out) > 4096 and rng.random() < 0.7:
            start = rng.randrange(max(0, len(out) - (1 << 20)), len(out) - 64)
            out += out[start : start + rng.randrange(8, 64)]
        else:
            out += rng.randbytes(rng.randrange(4, 24))
    return bytes(out[:size]), "seeded stand-in filler (no corpus image: run .ci/fetch-corpus for real bytes)"


def link_payload(work: Path, config: bytes, text: bytes, tail: bytes) -> bytes:
    """A vmlinux ELF: .text, then .rodata with the banner and the IKCONFIG blob, then more .rodata."""
    image_build = import_tests_helper("image_build")
    image_build.require_binutils()  # type: ignore[attr-defined]
    (work / "text.bin").write_bytes(text)
    (work / "tail.bin").write_bytes(tail)
    # kernel/config_data.gz is made with cmd_gzip: gzip -n -f -9
    (work / "config_data.gz").write_bytes(image_build.compress(config, "gzip"))  # type: ignore[attr-defined]
    (work / "head.S").write_text(
        '\t.section .text,"ax"\n\t.globl _start\n_start:\n\t.incbin "text.bin"\n'
        f'\t.section .rodata,"a"\nlinux_banner:\n\t.ascii "{image_build.BANNER}\\n"\n\t.byte 0\n'  # type: ignore[attr-defined]
        '\t.ascii "IKCFG_ST"\nkernel_config_data:\n\t.incbin "config_data.gz"\n\t.ascii "IKCFG_ED"\n'
        '\t.incbin "tail.bin"\n')
    (work / "vmlinux.lds").write_text(
        "ENTRY(_start)\nPHDRS { text PT_LOAD FLAGS(5); }\nSECTIONS {\n  . = 0xffffffff81000000;\n"
        "  .text : AT(0x1000000) { *(.text) } :text\n"
        "  .rodata : AT(ADDR(.rodata) - 0xffffffff80000000) { *(.rodata) } :text\n}\n")
    for cmd in (["as", "--64", "-o", "head.o", "head.S"],
                ["ld", "-m", "elf_x86_64", "-T", "vmlinux.lds", "-o", "vmlinux", "head.o"]):
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BenchError(f"{' '.join(cmd)}: {proc.stderr}")
    return (work / "vmlinux").read_bytes()


def debian_payload(config: bytes) -> bytes | None:
    """Debian's real vmlinux (the vmlinuz payload) with the IKCONFIG blob at the start of .rodata."""
    image = corpus_image()
    if image is None:
        return None
    import io

    from elftools.elf.elffile import ELFFile

    data = image.read_bytes()
    vmlinux = bytearray(lzma.LZMADecompressor().decompress(data[data.find(b"\xfd7zXZ\x00"):]))
    rodata = ELFFile(io.BytesIO(bytes(vmlinux))).get_section_by_name(".rodata")
    blob = b"IKCFG_ST" + import_tests_helper("image_build").compress(config, "gzip") + b"IKCFG_ED"  # type: ignore[attr-defined]
    if rodata is None or rodata["sh_size"] < len(blob) or b"IKCFG_ST" in vmlinux:
        raise BenchError(f"{image}: no .rodata big enough for the blob, or a blob already there")
    vmlinux[rodata["sh_offset"] : rodata["sh_offset"] + len(blob)] = blob
    return bytes(vmlinux)


def build_bzimage(work: Path, vmlinux: bytes, kind: str) -> Path:
    image_build = import_tests_helper("image_build")
    method = "gzip" if kind == "gzip" else "xz"
    payload = image_build.size_append(image_build.compress(vmlinux, method), len(vmlinux))  # type: ignore[attr-defined]
    path = work / f"bzImage-{kind}"
    path.write_bytes(image_build.build_bzimage(payload, mz=True))  # type: ignore[attr-defined]
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(parser, runs=11, warmup=1)
    parser.add_argument("--kinds", default="xz,gzip,debian,xz-late",
                        help="images: xz, gzip (30 MiB payload, blob at 27%%), debian (real 66 MiB payload, xz), "
                             "xz-late (12 MiB, blob at 67%%, stress case); default all")
    args = parser.parse_args()
    script = kernel_tree() / "scripts" / "extract-ikconfig"
    if not script.is_file():
        raise Skip(f"{script} missing: .ci/fetch-kernel-source extracts scripts/*; re-run it")
    require_tools("sh", "tr", "grep", "tail", "zcat", "gunzip", "unxz", "as", "ld")
    check_checkout()
    config = corpus_config("amd64_none_amd64").read_bytes()
    env = checkout_env()
    with tempfile.TemporaryDirectory(prefix="kcheck-bench-ikconfig-") as tmp:
        work = Path(tmp)
        filler, source = kernel_bytes(TEXT_BYTES + TAIL_BYTES)
        vmlinux = link_payload(work, config, filler[:TEXT_BYTES], filler[TEXT_BYTES:])
        late = link_payload(work, config, filler[:TEXT_BYTES], filler[TEXT_BYTES:TEXT_BYTES + LATE_TAIL_BYTES])
        results = []
        for kind in args.kinds.split(","):
            if kind == "debian":
                payload = debian_payload(config)
            else:
                payload = late if kind == "xz-late" else vmlinux
            if payload is None:
                print(f"skip: debian image: no corpus image in {corpus_root() / 'images'}: {FETCH_HINT}")
                continue
            image = build_bzimage(work, payload, kind)
            ours = Command(f"kcheck extract_ikconfig, {kind} payload", (PYTHON, "-c", EXTRACT, str(image)), env)
            theirs = Command(f"scripts/extract-ikconfig, {kind} payload  [reference]",
                             ("sh", str(script), str(image)), env)
            for command in (ours, theirs):
                out, err, status = time_one(command)
                if status != 0 or out != config:
                    raise BenchError(f"{command.name}: exit {status}, output {'identical' if out == config else 'differs'}"
                                     f" from the embedded config ({len(out)} vs {len(config)} bytes): {err.decode()[-500:]}")
            results.append((kind, image, ours, theirs))
        header("embedded-config extraction: kcheck vs scripts/extract-ikconfig", args.runs, args.warmup)
        print(f"   xz/gzip payload: {len(vmlinux) >> 20} MiB vmlinux ELF, config at {vmlinux.find(b'IKCFG_ST') >> 20} MiB "
              f"({100 * vmlinux.find(b'IKCFG_ST') // len(vmlinux)} %); xz-late: {len(late) >> 20} MiB, config at "
              f"{100 * late.find(b'IKCFG_ST') // len(late)} %; {source}; "
              f"both outputs identical to the {len(config):,}-byte .config")
        for kind, image, ours, theirs in results:
            timings = measure([ours, theirs], args.runs, args.warmup)
            print(f"-- {image.name}: {image.stat().st_size / (1 << 20):.1f} MiB"
                  + (", Debian's real 66 MiB payload, blob at the start of .rodata" if kind == "debian" else "")
                  + (", blob at 67 % (stress case)" if kind == "xz-late" else ""))
            print(row(theirs.name, timings[theirs.name]))
            speedup = timings[theirs.name].median / timings[ours.name].median
            judged = (verdict(speedup, TARGET, at_most=False) if kind in BUDGETED
                      else f"{speedup:5.2f}x  (stress case, no budget: the same decoder bounds both)")
            print(f"{row(ours.name, timings[ours.name])}  speed-up {judged}")


if __name__ == "__main__":
    main_guard(main)
