"""Write the seed corpus under fuzz/corpus/<harness>/ (run from anywhere).

Seeds are tiny, project-written inputs: a few lines of each text format and
binary images built with the test suite's own builders (tests/image_build.py:
real gzip/xz/... streams, a bzImage laid out per boot.rst, a vmlinux linked
by binutils when `as`/`ld` are installed).  The generated files are committed
so a fuzz run needs no tools; re-run this after changing a format.
"""

from __future__ import annotations

import gzip
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from image_build import CONFIG_TEXT, build_bzimage, compress, link_vmlinux, size_append  # noqa: E402
from preflight_helpers import bzimage_header  # noqa: E402

RULE = '''[[rule]]
id = "XX001"
name = "kexec-on"
title = "CONFIG_KEXEC is on"
severity = "error"
kernel = "system"
why = "kexec loads the capture kernel"
source = "kdump.txt"
check = { all = [{ config = "KEXEC", is = "y" }, { not = { fact = "boot.crashkernel.present", is = false } }] }
message = "CONFIG_KEXEC is off"
'''
# The current spelling (RULE above is the first one, still read): a set test and fix variants.
RULE_VARIANTS = '''[[rule]]
id = "XX002"
name = "initrd-drivers"
title = "Capture kernel's disk drivers are all modules"
severity = "warning"
concerns = "kexec"
applies = { role = "capture" }
why = "the capture kernel needs an initrd"
source = "kdump.txt"
check = { configs = ["BLK_DEV_SD", "BLK_DEV_IDEDISK"], none_is = "m", some_is = "y" }
message = "no disk driver built in for {kexec.append.text}"
fix = [
  { applies = { versions = "<2.6.20", arch = ["i386"] }, append_add = ["irqpoll"], role = "capture" },
  { cmdline_add = ["crashkernel={boot.crashkernel.advised|size}"] },
]
'''

TEXT: dict[str, dict[str, bytes]] = {
    "fuzz_config": {
        "plain": CONFIG_TEXT + b'CONFIG_CMDLINE="a \\"b\\""\n# CONFIG_X is not set\nCONFIG_X=y\n',
        "old-header": b"# Linux kernel version: 2.6.13\nCONFIG_KEXEC=y\nCONFIG_PHYSICAL_START=0x100000\n",
        "gzip": gzip.compress(CONFIG_TEXT, mtime=0),
    },
    "fuzz_cmdline": {
        "ranges": b"\x05\x02\x01ro root=/dev/sda1 crashkernel=512M-2G:64M,2G-:128M@16M",
        "high-low": b'\x06\x01\x00quiet "a b" crashkernel=256M,high crashkernel=72M,low swiotlb=65536 -- init',
        "old": b"\x01\x01\x01crashkernel=64M@16M crashkernel=32M@0",
    },
    "fuzz_kexec": {
        "old": b'-p /boot/vmlinux --args-linux --elf32-core-headers --append="root=/dev/hda1 irqpoll"',
        "modern": b"sudo kexec -ps --initrd=/boot/initrd --reuse-cmdline -t bzImage /boot/vmlinuz -- x",
        "quotes": b"kexec -l 'it''s' \"a\\\"b\" --command-line=\"x\" --app",
    },
    "fuzz_waivers": {
        "ok": b'[[waiver]]\nrule = "KX008"\ntarget = "t"\nreason = "tested on this board"\nexpires = 2999-12-31\n',
        "string-date": b'[[waiver]]\nrule = "KB001"\nkernel = "capture"\nreason = "ok ok ok"\nexpires = "2024-02-30"\n',
    },
    "fuzz_manifest": {
        "ok": b'[[target]]\nname = "a"\ncmdline = "crashkernel=64M@16M"\nkexec = "kexec -p /boot/vmlinuz"\n'
              b'memory = "1G"\n\n[[target]]\nname = "b"\nsystem_config = "missing.config"\n',
    },
    "fuzz_rules": {"rule": RULE.encode(), "variants": RULE_VARIANTS.encode()},
    "fuzz_host": {
        "iomem": b"\x00" + b"00001000-0009fbff : System RAM\n  01000000-04ffffff : Crash kernel\n"
                 b"100000000-23fffffff : System RAM\n  230000000-23fffffff : Crash kernel\n",
        "shell": b"\x01" + b'USE_KDUMP=1\nexport KDUMP_CMDLINE_APPEND="${X:-a b} $KDUMP_KERNEL"\n'
                 b"A='x\ny' B=$(uname -r); echo hi\n",
        "kdump.conf": b"\x02" + b"path /var/crash\ncore_collector makedumpfile -l -d 31\next4 UUID=x # c\nnet a\n",
    },
}


def binary_seeds(tmp: Path) -> tuple[dict[str, dict[str, bytes]], dict[str, bytes]]:
    config_gz = gzip.compress(CONFIG_TEXT, mtime=0)
    payload = b"\x00" * 64 + b"IKCFG_ST" + config_gz + b"IKCFG_ED" + b"Linux version 6.1.0-test (x)\n"
    seeds: dict[str, dict[str, bytes]] = {"fuzz_bzimage": {}, "fuzz_compressed": {}, "fuzz_elf": {}}
    # fuzz_host's selector byte 3 picks image_memory() (the pre-flight's image size reader).
    host_images = {"bzimage-head": b"\x03" + bzimage_header(setup_sects=1)}
    for kind in ("gzip", "xz", "zstd"):
        stream = size_append(compress(payload, kind), len(payload))
        seeds["fuzz_bzimage"][kind] = build_bzimage(stream, setup_sects=1)
    seeds["fuzz_bzimage"]["old-protocol"] = build_bzimage(
        size_append(compress(payload, "gzip"), len(payload)), protocol=0x0206, setup_sects=1)
    for index, kind in enumerate(("gzip", "xz", "lzma", "bzip2", "zstd", "lz4", "lz4-frame")):
        seeds["fuzz_compressed"][kind] = bytes([index]) + size_append(compress(payload, kind), len(payload))
    if shutil.which("as") and shutil.which("ld"):
        for emulation in ("elf_x86_64", "elf_i386"):
            elf = link_vmlinux(tmp, f"vmlinux-{emulation}", emulation=emulation, ikconfig=CONFIG_TEXT,
                               build_id=True, data_gap=0x100)
            seeds["fuzz_elf"][emulation] = elf.read_bytes()
            host_images[f"{emulation}-head"] = b"\x03" + elf.read_bytes()[:1024]
    return seeds, host_images


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        binary, host_images = binary_seeds(Path(tmp))
        seeds = {**TEXT, **binary}
        seeds["fuzz_host"] = {**seeds["fuzz_host"], **host_images}
    for harness, files in seeds.items():
        directory = HERE / "corpus" / harness
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (directory / name).write_bytes(data)
            print(f"{directory.relative_to(HERE.parent)}/{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
