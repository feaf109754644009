"""The bad-input table of issue 7, run through the real CLI.

Every row gives kcheck a hostile input through one option and expects, within
bounded time and memory, either exactly one line
``kcheck: error: <file or option>: <reason>`` with exit status 2, or (where a
finding is the right answer) exit status 1 with that finding; never a
traceback.  Each child runs with RLIMIT_AS of 1 GiB, so a 100 MB config or a
decompression bomb that were read whole would fail the row, and under a
subprocess timeout that is a hang guard, not a speed test.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.image_build import CONFIG_TEXT, build_bzimage, compress, size_append

MEMORY_LIMIT = 1 << 30
TIMEOUT = 180
OLD = FIXTURES / "2.6.13"
HOST = FIXTURES / "hosts" / "debian-healthy"


def _limits(fsize: int | None = None) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return apply


def run_bounded(*args: str, cwd: Path | None = None, fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    """``run_kcheck`` with a memory cap (and optionally a file size cap) on the child."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "kcheck", *args], capture_output=True, text=True,
                          errors="replace", cwd=cwd or ROOT, env=env, timeout=TIMEOUT,
                          preexec_fn=_limits(fsize), stdin=subprocess.DEVNULL)


def assert_error(result: subprocess.CompletedProcess[str], source: str, reason: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prefix = f"kcheck: error: {source}: "
    assert lines[0].startswith(prefix), (lines[0], prefix)
    assert reason in lines[0][len(prefix):], (lines[0], reason)


# --- hostile files -----------------------------------------------------------


def _garbage() -> bytes:
    return random.Random(7).randbytes(8192)


def _sparse(path: Path, head: bytes, size: int = 100 * 1000 * 1000) -> None:
    """A 100 MB file that costs no disk: real text, then a hole."""
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(size)


def _elf64(*, phoff: int = 0x40, phnum: int = 1, phentsize: int = 0x38, shoff: int = 0, shnum: int = 0,
           shentsize: int = 0x40, shstrndx: int = 0) -> bytes:
    """An x86_64 ET_EXEC header (Elf64_Ehdr) with the given table fields."""
    ident = b"\x7fELF\x02\x01\x01" + bytes(9)
    return ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0xFFFFFFFF81000000, phoff, shoff, 0, 64,
                               phentsize, phnum, shentsize, shnum, shstrndx)


def _gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes (about size/1000 bytes long)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(size >> 20)]
    return b"".join(parts) + packer.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _gzip_bomb(600 << 20)  # the payload cap is 512 MiB


def _bzimage(payload: bytes, **fields: int) -> bytes:
    return build_bzimage(size_append(compress(payload, "gzip"), len(payload)), **fields)


@dataclass(frozen=True)
class Bad:
    """A hostile file: how to make it, and what each reader should say about it."""

    make: Callable[[Path], None]
    text_reason: str          # config, cmdline, kexec, waivers, manifest, rules
    config_reason: str | None = None  # the config reader tries binary data as an image


def _write(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


BAD: dict[str, Bad] = {
    "garbage": Bad(_write(_garbage()), "; binary data, not a",
                   "binary data, not a kernel .config (not a kernel image (unrecognised magic bytes"),
    "nul-bytes": Bad(_write(b"CONFIG_KEXEC=y\n\0\0\0\n"), "NUL byte at offset 15 (line 2); binary data"),
    "invalid-utf8": Bad(_write(b"CONFIG_KEXEC=y\n\xff\xfe\xc0\n"), "not UTF-8 text (bad byte at offset 15)"),
    "directory": Bad(lambda path: path.mkdir(), "is a directory, not a file"),
    "missing": Bad(lambda path: None, "no such file"),
    "fifo": Bad(_fifo, "not a regular file (a FIFO); it cannot be read safely"),
    "dev-zero": Bad(_dev_zero, "not a regular file (a character device); it cannot be read safely"),
    "100MB": Bad(lambda path: _sparse(path, b"CONFIG_KEXEC=y\n" * 1000), "larger than"),
}

# input kind -> (command line with {} for the file, what "empty" gives, limit in the "100MB" reason)
KINDS: dict[str, tuple[list[str], str, str]] = {
    "config": (["check", "--system-config", "{}"], "empty file; not a kernel .config", "32 MiB"),
    "capture-config": (["check", "--system-config", str(OLD / "system.config"), "--capture-config", "{}"],
                       "empty file; not a kernel .config", "32 MiB"),
    "cmdline": (["check", "--cmdline-file", "{}"], "", "64 KiB"),
    "kexec": (["check", "--kexec-file", "{}"], "not a kexec command", "64 KiB"),
    "waivers": (["check", "--cmdline", "ro", "--waivers", "{}"], "empty file; not a waiver file", "4 MiB"),
    "manifest": (["check", "--manifest", "{}"], "empty file; not a manifest", "16 MiB"),
    "rules": (["rules", "--rules", "{}"], "empty file; not a rule file", "4 MiB"),
    "lint": (["lint-configs", "{}"], "empty file; not a kernel .config", "32 MiB"),
}


def _args(kind: str, path: Path) -> list[str]:
    return [str(path) if word == "{}" else word for word in KINDS[kind][0]]


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_bad_file(tmp_path: Path, kind: str, bad: str) -> None:
    path = tmp_path / "input"
    BAD[bad].make(path)
    if kind == "rules" and bad == "directory":
        pytest.skip("--rules takes a directory of rule files: an empty one is valid")
    result = run_bounded(*_args(kind, path), cwd=tmp_path)
    if kind == "lint":
        # lint-configs reports each unreadable config in the report and carries on.
        assert "Traceback" not in result.stderr and result.returncode == 2, result.stderr
        assert str(path) in result.stdout
        return
    reason = BAD[bad].text_reason
    if kind.endswith("config") and BAD[bad].config_reason:
        reason = BAD[bad].config_reason or reason
    if bad == "100MB":
        reason = f"larger than {KINDS[kind][2]}"
    assert_error(result, str(path), reason)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_empty_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(b"")
    result = run_bounded(*_args(kind, path), cwd=tmp_path)
    expected = KINDS[kind][1]
    if kind == "cmdline":
        # An empty command line is a real (broken) set-up: no crashkernel= at all.
        assert result.returncode == 1 and "KB001 crashkernel-missing" in result.stdout, result.stdout
    elif kind == "lint":
        assert result.returncode == 2 and expected in result.stdout
    else:
        assert_error(result, str(path), expected)
    assert "Traceback" not in result.stderr


# --- images: given where a config is expected --------------------------------

IMAGE_PAYLOAD = b"\x00" * 4096 + b"Linux version 6.1.0-test (x)\n"


@pytest.mark.parametrize(("name", "make", "reason"), [
    ("bzimage-without-ikconfig", lambda tmp: _bzimage(IMAGE_PAYLOAD),
     "kernel image without an embedded config (CONFIG_IKCONFIG is off); pass the .config it was built from"),
    ("bzimage-payload-past-end", lambda tmp: _bzimage(IMAGE_PAYLOAD, payload_length=100 << 20),
     "runs past the end of the file"),
    ("elf-header-only", lambda tmp: _elf64()[:40],
     "truncated ELF header"),
    ("elf-phdrs-past-end", lambda tmp: _elf64(phnum=4),
     "truncated ELF: program headers at 0x40 (4 x 56 bytes) are past the end of the file"),
    ("elf-absurd-phnum", lambda tmp: _elf64(phnum=0xFFFF) + bytes(4096),
     "absurd ELF program header count e_phnum=65535"),
    ("elf-absurd-phentsize", lambda tmp: _elf64(phentsize=0xFFFF) + bytes(4096),
     "bad ELF e_phentsize 65535"),
    ("elf-absurd-offsets", lambda tmp: _elf64(phoff=0xFFFFFFFFFFFFFF00, shoff=0xFFFFFFFFFFFFFF00,
                                              shnum=0xFFFF) + bytes(4096),
     "past the end of the file"),
])
def test_bad_image_as_config(tmp_path: Path, name: str, make: Callable[[Path], bytes], reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    assert_error(run_bounded("check", "--system-config", str(path), cwd=tmp_path), str(path), reason)


def test_bzimage_decompression_bomb(tmp_path: Path, bomb: bytes) -> None:
    """600 MiB of zeros in a 600 KiB payload: capped at 512 MiB of output, in 1 GiB of address space."""
    path = tmp_path / "bzImage"
    path.write_bytes(build_bzimage(size_append(bomb, 600 << 20)))
    assert_error(run_bounded("check", "--system-config", str(path), cwd=tmp_path), str(path),
                 "bzImage payload decompresses to more than 536870912 bytes")


def test_gzipped_config_bomb(tmp_path: Path, bomb: bytes) -> None:
    path = tmp_path / "config.gz"
    path.write_bytes(bomb)
    assert_error(run_bounded("check", "--system-config", str(path), cwd=tmp_path), str(path),
                 "decompresses to more than 32 MiB; not a kernel .config")


# --- text that is hostile but small ------------------------------------------


@pytest.mark.parametrize("kexec", ['kexec -p "/boot/vmlinuz', "kexec -p '/boot/vmlinuz --append=\"x",
                                   'kexec -p /boot/vmlinuz --append="root=/dev/sda\\'])
def test_unterminated_quotes_in_kexec(tmp_path: Path, kexec: str) -> None:
    result = run_bounded("check", "--kexec", kexec, cwd=tmp_path)
    assert_error(result, "--kexec", "cannot split the command: No ")
    path = tmp_path / "kexec"
    path.write_text(kexec + "\n")
    assert_error(run_bounded("check", "--kexec-file", str(path), cwd=tmp_path), str(path),
                 "cannot split the command: No ")


def test_crashkernel_with_1000_ranges(tmp_path: Path) -> None:
    """The kernel walks every range; so does kcheck, in linear time: a finding, not a hang.
    (10,000 ranges, 160 KB, are now longer than any command line: issue 14 row 5.)"""
    ranges = ",".join(f"{i}M-{i + 1}M:64M" for i in range(1_000))
    path = tmp_path / "cmdline"
    path.write_text(f"ro root=/dev/sda1 crashkernel={ranges}\n")
    result = run_bounded("check", "--system-config", str(FIXTURES / "ci" / "x86_64-6.1.config"),
                         "--cmdline-file", str(path), "--memory", "16G", cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr
    # 16G matches none of the ranges (all below 1000M): nothing is reserved.
    assert "KB002 crashkernel-reserves-nothing" in result.stdout
    assert "reserves nothing" in result.stdout
    assert "characters]..." in result.stdout and len(result.stdout) < 4000  # the 14 KB value, abbreviated


def test_rule_file_nested_too_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text('[[rule]]\nid = "XX001"\ncheck = ' + "{ not = " * 100 + "{}" + " }" * 100 + "\n")
    assert_error(run_bounded("rules", "--rules", str(path), cwd=tmp_path), str(path),
                 "nested more than 64 levels deep")
    arrays = tmp_path / "arrays.toml"
    arrays.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")  # deeper than tomllib can recurse
    assert_error(run_bounded("rules", "--rules", str(arrays), cwd=tmp_path), str(arrays), "nested too deeply")


def test_huge_but_valid_rule_file(tmp_path: Path) -> None:
    """2,000 rules (about 700 KB): validated and listed in bounded time."""
    rule = ('[[rule]]\nid = "{id}"\nname = "rule-{n}"\ntitle = "Generated rule number {n}"\n'
            'severity = "info"\nkernel = "system"\nwhy = "generated to test a huge rule file"\n'
            'source = "tests/hostile/test_bad_input_table.py"\ncheck = {{ config = "KEXEC", is = "y" }}\n'
            'message = "generated rule {n} failed"\n\n')
    ids = [f"{a}{b}{n:03d}" for a in "QRSTUVWXYZ" for b in "QRSTUVWXYZ" for n in range(20)]
    path = tmp_path / "huge.toml"
    path.write_text("".join(rule.format(id=rule_id, n=n) for n, rule_id in enumerate(ids[:2000])))
    result = run_bounded("rules", "--rules", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if " rule-" in line]
    assert listed == ids[:2000]


def test_preflight_root_that_is_not_a_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert_error(run_bounded("preflight", "--root", str(missing)), "--root", f"{missing}: no such directory")
    file = tmp_path / "file"
    file.write_text("x")
    assert_error(run_bounded("preflight", "--root", str(file)), "--root", f"{file}: not a directory")


HOST_FILES = ["/proc/cmdline", "/proc/iomem", "/etc/default/kdump-tools", "/proc/sys/kernel/osrelease",
              "/boot/config-6.1.0-56-amd64"]


@pytest.mark.parametrize("bad", ["garbage", "nul-bytes", "invalid-utf8", "directory", "fifo", "100MB"])
@pytest.mark.parametrize("host_file", HOST_FILES)
def test_preflight_bad_host_file(tmp_path: Path, host_file: str, bad: str) -> None:
    root = tmp_path / "root"
    shutil.copytree(HOST, root, symlinks=True)
    target = root / host_file.lstrip("/")
    target.unlink()
    BAD[bad].make(target)
    result = run_bounded("preflight", "--root", str(root), cwd=tmp_path)
    reason = BAD[bad].text_reason
    if host_file.startswith("/boot/config") and BAD[bad].config_reason:
        reason = BAD[bad].config_reason or reason
    if bad == "100MB":
        reason = "larger than"
    assert_error(result, str(target), reason)


def test_preflight_host_file_linked_to_dev_zero_stays_in_the_tree(tmp_path: Path) -> None:
    """An absolute link in a captured tree resolves inside the tree, never to the real /dev/zero."""
    root = tmp_path / "root"
    shutil.copytree(HOST, root, symlinks=True)
    (root / "proc" / "cmdline").unlink()
    (root / "proc" / "cmdline").symlink_to("/dev/zero")
    assert_error(run_bounded("preflight", "--root", str(root), cwd=tmp_path),
                 str(root / "proc" / "cmdline"), "no such file")


# --- a file that grows while it is read ---------------------------------------


@pytest.mark.parametrize(("option", "line", "limit"), [
    ("--system-config", b"CONFIG_GROWING=y\n", 32 << 20),
    ("--cmdline-file", b"quiet ", 64 << 10),
])
def test_file_growing_while_read(tmp_path: Path, option: str, line: bytes, limit: int) -> None:
    """A writer appends while kcheck reads: a clean parse of a prefix, or "larger than"; nothing else."""
    path = tmp_path / "growing"
    path.write_bytes(CONFIG_TEXT if option == "--system-config" else b"ro ")
    stop = threading.Event()
    chunk = line * (min(limit, 1 << 20) // 4 // len(line))

    def grow() -> None:
        with open(path, "ab") as handle:
            while not stop.is_set() and handle.tell() < 2 * limit:
                handle.write(chunk)
                handle.flush()

    writer = threading.Thread(target=grow)
    writer.start()
    try:
        result = run_bounded("check", option, str(path), cwd=tmp_path)
    finally:
        stop.set()
        writer.join()
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        size = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"
        assert_error(result, str(path), f"larger than {size}")
    else:
        assert result.returncode in (0, 1) and not result.stderr, result.stderr


def test_many_streams_each_just_under_the_cap(tmp_path: Path) -> None:
    """An arm zImage is searched stream by stream (extract-ikconfig's way): 64 streams of
    500 MiB each were 32 GiB of work for a 32 MB file; all of them share one 512 MiB budget."""
    stream = _gzip_bomb(500 << 20)
    head = bytearray(0x200)
    struct.pack_into("<II", head, 0x24, 0x016F2818, 0)  # head.S zImage magic
    struct.pack_into("<I", head, 0x30, 0x04030201)
    path = tmp_path / "zImage"
    path.write_bytes(bytes(head) + stream * 64)
    assert_error(run_bounded("check", "--system-config", str(path), cwd=tmp_path), str(path),
                 "compressed streams decompress to more than 536870912 bytes in all")
