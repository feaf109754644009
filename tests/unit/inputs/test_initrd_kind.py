"""The kind of a capture initrd, told from its listing by the real reader (kcheck.inputs.initrd)."""

from __future__ import annotations

import gzip
import io
import lzma
import shutil
import subprocess

import pytest

from kcheck.domain.initrd_kind import INIT_LIMIT
from kcheck.inputs.initrd import read_initrd
from kcheck.rehearse.cpio import CpioWriter
from kcheck.rehearse.initramfs import write_probe
from tests.rules.harness import INITRD_LAYOUTS


def _archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    writer = CpioWriter(out)
    for name, data in files.items():
        writer.data(name, data)
    writer.close()
    return out.getvalue()


def _kind(tmp_path, data: bytes) -> tuple[str, str]:
    path = tmp_path / "initrd.img"
    path.write_bytes(data)
    info = read_initrd(str(path))
    return info.kind, info.kind_why


@pytest.mark.parametrize("kind", ["kdump-tools", "dracut-kdump", "probe", "unknown"])
def test_each_layout_is_its_kind(tmp_path, kind):
    assert _kind(tmp_path, gzip.compress(_archive(INITRD_LAYOUTS[kind])))[0] == kind


def test_initramfs_tools_after_an_early_microcode_archive(tmp_path):
    early = _archive({"kernel/x86/microcode/GenuineIntel.bin": b"m" * 5000})
    kind, why = _kind(tmp_path, early + lzma.compress(_archive(INITRD_LAYOUTS["kdump-tools"])))
    assert kind == "kdump-tools" and "initramfs-tools" in why


def test_dracut_without_the_kdump_module_is_unknown(tmp_path):
    kind, why = _kind(tmp_path, gzip.compress(_archive({"init": b"#!/bin/sh\n", "usr/lib/dracut/modules.txt": b"base\n"})))
    assert kind == "unknown" and "dracut" in why


def test_half_an_initramfs_tools_layout_is_unknown(tmp_path):
    assert _kind(tmp_path, gzip.compress(_archive({"init": b"#!/bin/sh\n", "scripts/local": b"\n"})))[0] == "unknown"


def test_the_real_probe_is_a_probe(tmp_path):
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF not really busybox")
    out = io.BytesIO()
    write_probe(out, token="abc", busybox=str(busybox), makedumpfile=None)
    assert _kind(tmp_path, out.getvalue())[0] == "probe"


def test_the_last_init_decides_as_the_unpacker_overwrites(tmp_path):
    """rehearse --overlay-probe puts the probe after the user's initrd: its /init runs."""
    user = gzip.compress(_archive(INITRD_LAYOUTS["kdump-tools"]))
    probe = gzip.compress(_archive(INITRD_LAYOUTS["probe"]))
    assert _kind(tmp_path, user + probe)[0] == "probe"
    assert _kind(tmp_path, probe + user)[0] == "kdump-tools"


def test_an_init_too_big_to_read_is_not_taken_for_the_probe(tmp_path):
    big = b"#!/bin/sh\necho @@kcheck:x:capture-booted\n" + b"#" * INIT_LIMIT
    assert _kind(tmp_path, gzip.compress(_archive({"init": big})))[0] == "unknown"
    # and a later big /init replaces an earlier probe's
    probe = gzip.compress(_archive(INITRD_LAYOUTS["probe"]))
    assert _kind(tmp_path, probe + gzip.compress(_archive({"init": b"#" * (INIT_LIMIT + 1)})))[0] == "unknown"


@pytest.mark.skipif(shutil.which("cpio") is None, reason="cpio(1) not installed (Debian: cpio)")
def test_an_archive_gnu_cpio_wrote(tmp_path):
    """`find . | cpio -o -H newc`, as initramfs-tools and dracut run it."""
    tree = tmp_path / "tree"
    for name, data in INITRD_LAYOUTS["dracut-kdump"].items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    names = subprocess.run(["find", "."], cwd=tree, capture_output=True, check=True).stdout
    data = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], cwd=tree, input=names,
                          capture_output=True, check=True).stdout
    assert _kind(tmp_path, gzip.compress(data))[0] == "dracut-kdump"


def test_names_stored_with_dot_slash(tmp_path):
    files = {f"./{name}": data for name, data in INITRD_LAYOUTS["kdump-tools"].items()}
    assert _kind(tmp_path, gzip.compress(_archive(files)))[0] == "kdump-tools"


def _gnu_cpio(tmp_path, files: dict[str, bytes]) -> bytes:
    tree = tmp_path / "tree"
    for name, data in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    names = subprocess.run(["find", "."], cwd=tree, capture_output=True, check=True).stdout
    return subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], cwd=tree, input=names,
                          capture_output=True, check=True).stdout


@pytest.mark.skipif(shutil.which("cpio") is None, reason="cpio(1) not installed (Debian: cpio)")
def test_a_squashed_dracut_kdump_initrd(tmp_path):
    """mkdumprd's default: kdump.sh and kdump.conf are inside squash-root.img, the outer cpio is
    uncompressed and only dracut's modules.txt names kdumpbase (calibration/dracut-kdump.md)."""
    layout = INITRD_LAYOUTS["dracut-kdump-squashed"]
    assert not any("kdump" in name for name in layout)
    kind, why = _kind(tmp_path, _gnu_cpio(tmp_path, layout))
    assert (kind, why) == ("dracut-kdump", "dracut with kdump-utils' kdumpbase")


@pytest.mark.skipif(shutil.which("cpio") is None, reason="cpio(1) not installed (Debian: cpio)")
def test_a_squashed_dracut_initrd_without_kdumpbase_is_unknown(tmp_path):
    """The system's own squashed dracut initrd: the same shape, no kdumpbase in modules.txt."""
    layout = dict(INITRD_LAYOUTS["dracut-kdump-squashed"])
    layout["usr/lib/dracut/modules.txt"] = layout["usr/lib/dracut/modules.txt"].replace(b"kdumpbase\n", b"")
    assert _kind(tmp_path, _gnu_cpio(tmp_path, layout))[0] == "unknown"
    layout["usr/lib/dracut/modules.txt"] = b"base\nkdumpbase-extra\n"
    assert _kind(tmp_path, _gnu_cpio(tmp_path, layout))[0] == "unknown"


def test_modules_txt_read_across_the_reader_chunks(tmp_path):
    """The reader streams 1 MiB at a time: a modules.txt that straddles two reads still counts."""
    files = dict(INITRD_LAYOUTS["dracut-kdump-squashed"])
    modules = files.pop("usr/lib/dracut/modules.txt")
    files["squash-root.img"] = b""
    before = _archive({**files, "usr/lib/dracut/modules.txt": modules}).index(modules)
    files["squash-root.img"] = bytes((1 << 20) - 60 - before)
    data = _archive({**files, "usr/lib/dracut/modules.txt": modules})
    start = data.index(b"systemd\nsystemd-initrd")
    assert start < 1 << 20 < start + len(modules)
    assert _kind(tmp_path, data)[0] == "dracut-kdump"
    # too big to be read (a listing of more than INIT_LIMIT bytes) is not taken as kdumpbase
    files["usr/lib/dracut/modules.txt"] = b"kdumpbase\n" + b"#" * INIT_LIMIT
    assert _kind(tmp_path, _archive(files))[0] == "unknown"
