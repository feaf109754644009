#!/usr/bin/env python3
"""Reading a kernel image costs what its headers cost, not what its size costs.

Budgets: a 1 GiB vmlinux costs at most 1.2 times a small one with the same
headers (issue 7); a 1 GiB vmlinux costs what a 10 MiB one does (issue 3).

The small vmlinux is assembled and linked with binutils by
tests/image_build.py (x86_64 layout of arch/x86/kernel/vmlinux.lds.S, a
build-id note, a linux_banner).  The bigger ones are copies grown with
truncate: same bytes up front, then zeros, stored sparse.  A reader that
streamed the whole file would still pay for 1 GiB of zeros from the page
cache (hundreds of ms), so a size-dependent cost shows.  One more 1 GiB copy
moves the section header table to the end of the file, where a real
debug-info vmlinux has it, so a reader that follows e_shoff must seek there.

What is timed: ``kcheck check --system-config C --system-image I`` once the
CLI has --system-image; until then the image reader as a whole process,
``python -c "from kcheck.inputs.image import read_image; read_image(I)"``.
The choice is made by reading ``kcheck check --help`` (see image_command).

Usage: python bench/bench_image.py [-n 15] [-w 2]
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from common import (
    PYTHON,
    Command,
    Skip,
    add_run_options,
    check_checkout,
    checkout_env,
    corpus_configs,
    corpus_image,
    header,
    import_tests_helper,
    kcheck,
    main_guard,
    measure,
    row,
    verdict,
)

BUDGET = 1.2
READ_IMAGE = "import sys; from kcheck.inputs.image import read_image; read_image(sys.argv[1])"


def cli_has_system_image() -> bool:
    out = subprocess.run(kcheck("check", "--help"), env=checkout_env(), capture_output=True, text=True,
                         check=False).stdout
    return "--system-image" in out


def image_command(config: Path) -> tuple[str, Callable[[Path], tuple[str, ...]]]:
    """(description, image path -> argv): the CLI when it takes --system-image, else the reader."""
    if cli_has_system_image():
        return ("kcheck check --system-config C --system-image I",
                lambda image: kcheck("check", "--system-config", str(config), "--system-image", str(image)))
    return ("python -c 'read_image(I)' (CLI has no --system-image yet)",
            lambda image: (PYTHON, "-c", READ_IMAGE, str(image)))


def grow(small: Path, big: Path, size: int) -> Path:
    """A sparse copy of ``small`` padded with zeros to ``size`` bytes: the same headers."""
    shutil.copyfile(small, big)
    with open(big, "r+b") as f:
        f.truncate(size)
    return big


def shdrs_at_end(small: Path, big: Path, size: int) -> Path:
    """A ``size``-byte copy whose section header table sits at the end (as in a debug-info vmlinux)."""
    data = small.read_bytes()
    assert data[:5] == b"\x7fELF\x02", "an ELF64 little-endian vmlinux"
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    table = data[e_shoff : e_shoff + e_shentsize * e_shnum]
    new_shoff = (size - len(table)) & ~7
    grow(small, big, new_shoff)
    with open(big, "r+b") as f:
        f.seek(0x28)
        f.write(struct.pack("<Q", new_shoff))
        f.seek(new_shoff)
        f.write(table)
        f.truncate(size)
    return big


def build_images(work: Path) -> dict[str, Path]:
    image_build = import_tests_helper("image_build")
    if shutil.which("as") is None or shutil.which("ld") is None:
        raise Skip("binutils 'as'/'ld' not installed (.ci/setup-host installs them)")
    small = image_build.link_vmlinux(work, "vmlinux-small", build_id=True)  # type: ignore[attr-defined]
    return {
        "small": small,
        "10mib": grow(small, work / "vmlinux-10mib", 10 << 20),
        "1gib": grow(small, work / "vmlinux-1gib", 1 << 30),
        "1gib-shend": shdrs_at_end(small, work / "vmlinux-1gib-shdrs-at-end", 1 << 30),
    }


def config_for(work: Path) -> Path:
    """The amd64 Debian config when the corpus has it, else the builder's small x86_64 config."""
    try:
        return corpus_configs()["amd64_none_amd64"]
    except (Skip, KeyError):
        path = work / "small.config"
        path.write_bytes(import_tests_helper("image_build").CONFIG_TEXT)  # type: ignore[attr-defined]
        return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(parser, runs=15)
    args = parser.parse_args()
    check_checkout()
    env = checkout_env()
    with tempfile.TemporaryDirectory(prefix="kcheck-bench-image-") as tmp:
        work = Path(tmp)
        images = build_images(work)
        what, argv = image_command(config_for(work))
        found = frozenset({0, 1})
        labels = {
            "small": f"small vmlinux ({images['small'].stat().st_size:,} bytes)  [reference]",
            "10mib": "same headers, 10 MiB (sparse)",
            "1gib": "same headers, 1 GiB (sparse)",
            "1gib-shend": "1 GiB, section headers at the end (sparse)",
        }
        cmds = [Command(labels[key], argv(path), env, ok=found) for key, path in images.items()]
        real = corpus_image()
        if real is not None:
            cmds.append(Command(f"Debian vmlinuz-6.1 bzImage ({real.stat().st_size >> 20} MiB, corpus)",
                                argv(real), env, ok=found))
        readers = []
        if cmds[0].argv[1] != "-c":  # the CLI is timed: also time the reader alone, to locate a cost
            readers = [Command(f"reader only, {labels[key].split('  [')[0]}", (PYTHON, "-c", READ_IMAGE, str(path)),
                               env) for key, path in images.items() if key in ("small", "1gib")]
        header(f"image size vs cost: {what}", args.runs, args.warmup)
        timings = measure([*cmds, *readers], args.runs, args.warmup)
    for group in (cmds, readers):
        for command in group:
            line = row(command.name, timings[command.name])
            ratio = timings[command.name].median / timings[group[0].name].median
            print(line if command is group[0] else f"{line}  {verdict(ratio, BUDGET)}")
    small = timings[cmds[0].name].median
    ten = timings[cmds[1].name].median
    gib = timings[cmds[2].name].median
    print(f"issue 3: 1 GiB / 10 MiB = {gib / ten:.2f}x;  issue 7: 1 GiB / small = {gib / small:.2f}x "
          f"(budget <= {BUDGET}x)")


if __name__ == "__main__":
    main_guard(main)
