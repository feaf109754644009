"""Materialise a rule case (a base set-up plus edits) and evaluate it.

A case file ``tests/rules/<ID>.toml`` holds a ``[pass]`` and a ``[fail]``
set-up (or arrays ``[[pass]]``/``[[fail]]``) for rule <ID>, and optionally
``[[undecided]]`` and ``[[not_applicable]]`` ones.  Each names a
``base`` (a correct set-up from fixtures/) and edits:

* ``system`` / ``capture``: ``{ SYMBOL = "value" }``; ``"n"`` writes
  ``# CONFIG_SYMBOL is not set``, ``"absent"`` removes the symbol;
* ``same_kernel = true``: no capture config (the system kernel serves);
* ``cmdline`` / ``kexec``: replacement texts; ``no_cmdline`` / ``no_kexec``;
* ``memory``, ``kernel_version``, ``arch``, ``kexec_tools_version``: as the CLI options;
* ``capture_initrd``: ``{ unpacked = "60M" }`` writes a real initrd (a gzip'd
  cpio holding one file of that many zero bytes) and points the kexec
  command's ``--initrd=`` at it; ``kind = "kdump-tools"`` lays it out as
  initramfs-tools does (conf/initramfs.conf, scripts/), ``"dracut-kdump"`` as
  dracut with kdump-utils' module, ``"probe"`` with kcheck's probe /init;
  ``layout = "dracut-kdump-squashed"`` as mkdumprd builds it by default
  (only dracut's modules.txt names kdumpbase; kdump.sh is in squash-root.img);
  ``compress = false`` writes the cpio uncompressed, as dracut's squash module does;
* ``system_image`` / ``capture_image``: an image built for the case, e.g.
  ``{ kind = "vmlinux", emulation = "elf_i386", paddr = "0x1000000", release = "2.6.13" }``
  (linked by binutils) or ``{ kind = "bzImage", protocol = "0x0204", relocatable = false }``
  (laid out from boot.rst) or ``{ kind = "Image", image_size = "32M" }`` (an arm64 Image header);
  ``name`` sets the file name.

Bases: ``2.6.13`` (fixtures/2.6.13, kdump.txt's set-up), ``debian:<config>``
and ``debian-6.12:<config>`` (a real Debian 6.1 or 6.12 config with the set-up
of tests/modern_setups.py).  The Debian configs are the committed subsets in
fixtures/debian/ (tests/config_subsets.py: the real lines of every symbol
kcheck reads), so the cases run without the corpus; a config with no subset
comes from the corpus, and its cases skip when the corpus is absent.

``host:<name>`` bases are the captured host trees of fixtures/hosts/<name>,
copied and read by the real pre-flight reader.  Their edits act on the copy:

* ``files``: ``{ "proc/cmdline" = "text" }`` writes a file, ``"absent"`` deletes it;
* ``links``: ``{ "var/lib/kdump/vmlinuz" = "/boot/gone" }`` (re)points a symlink;
* ``sizes``: ``{ "boot/initrd.img-X" = 40000000 }`` grows a file (sparse) to that size;
* ``host_config``: ``{ SYMBOL = "y" }`` edits every ``boot/config-*`` (gzip'd ones stay gzip'd);
  ``host_config_version = "6.17.0"`` rewrites their ``# Linux/<arch> X.Y.Z Kernel Configuration`` header.

The edited configs are written as real files and read by the real reader.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from kcheck.engine.evaluate import evaluate
from kcheck.engine.loader import load_rules
from kcheck.domain.findings import RuleResult
from kcheck.inputs.host import read_host
from kcheck.app.pipeline import CheckRequest, read_setup
from kcheck.domain.units import parse_number
from kcheck.app.preflight import host_setup
from tests.config_subsets import subset_path
from tests.corpus import corpus_configs
from tests.modern_setups import modern_setup
from tests.preflight_helpers import copy_tree

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

BASES: dict[str, dict[str, Any]] = {
    "2.6.13": {
        "system": FIXTURES / "2.6.13" / "system.config",
        "capture": FIXTURES / "2.6.13" / "capture.config",
        "cmdline": (FIXTURES / "2.6.13" / "cmdline").read_text().strip(),
        "kexec": (FIXTURES / "2.6.13" / "kexec").read_text().strip(),
    },
}

_RULES = None


def rules():
    global _RULES
    if _RULES is None:
        _RULES = {rule.id: rule for rule in load_rules()}
    return _RULES


def edit_config(text: str, edits: dict[str, str]) -> str:
    for symbol, value in edits.items():
        pattern = re.compile(rf"^(CONFIG_{symbol}=.*|# CONFIG_{symbol} is not set)$", re.M)
        if value == "absent":
            line = ""
        elif value == "n":
            line = f"# CONFIG_{symbol} is not set"
        else:
            line = f"CONFIG_{symbol}={value}"
        text, count = pattern.subn(line, text)
        if count == 0 and line:
            text += line + "\n"
    return text


def base_setup(name: str) -> dict[str, Any] | None:
    """The named base set-up, or None when it needs the corpus and it is absent."""
    if name.startswith("host:"):
        return {"host": FIXTURES / "hosts" / name.removeprefix("host:")}
    if name.startswith(("debian:", "debian-6.12:")):
        release, config = name.split(":", 1)
        subset = subset_path("6.12" if release == "debian-6.12" else "6.1", config)
        if subset is not None:
            return modern_setup(config, subset)
        return modern_setup(config) if config in corpus_configs() else None
    return BASES[name]


def materialise(case: dict[str, Any], tmp: Path, base: dict[str, Any] | None = None) -> CheckRequest:
    """The case as a check request; ``base`` replaces the case's base set-up."""
    base = base or base_setup(case.get("base", "2.6.13"))
    assert base is not None
    tmp.mkdir(parents=True, exist_ok=True)
    paths: dict[str, str | None] = {}
    for role in ("system", "capture"):
        source = base[role] if role == "system" or not case.get("capture") else (base[role] or base["system"])
        if role == "capture" and (case.get("same_kernel") or source is None):
            paths[role] = None
            continue
        text = Path(source).read_text()
        path = tmp / f"{role}.config"
        path.write_text(edit_config(text, case.get(role, {})))
        paths[role] = str(path)
    images = {role: build_image(case[f"{role}_image"], tmp) if f"{role}_image" in case else None
              for role in ("system", "capture")}
    kexec = None if case.get("no_kexec") else case.get("kexec", base["kexec"])
    if "capture_initrd" in case and kexec is not None:
        initrd = build_initrd(case["capture_initrd"], tmp)
        kexec = re.sub(r"--initrd=\S+", f"--initrd={initrd}", kexec)
    return CheckRequest(
        system_image=images["system"],
        capture_image=images["capture"],
        system_config=paths["system"],
        capture_config=paths["capture"],
        cmdline=None if case.get("no_cmdline") else case.get("cmdline", base["cmdline"]),
        kexec=kexec,
        memory=case.get("memory", base.get("memory")),
        kernel_version=case.get("kernel_version"),
        kexec_tools_version=case.get("kexec_tools_version"),
        arch=case.get("arch"),
    )


def host_tree(case: dict[str, Any], tmp: Path) -> Path:
    """A copy of the case's host tree with its ``files``/``links``/``sizes`` edits applied."""
    base = base_setup(case["base"])
    assert base is not None
    root = copy_tree(base["host"], tmp / "host")
    for name, text in case.get("files", {}).items():
        path = root / name
        if text == "absent":
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for name, target in case.get("links", {}).items():
        path = root / name
        path.unlink(missing_ok=True)
        path.symlink_to(target)
    for name, size in case.get("sizes", {}).items():
        os.truncate(root / name, size)
    if case.get("host_config") or case.get("host_config_version"):
        import gzip

        for path in (root / "boot").glob("config-*"):
            data = path.read_bytes()
            packed = data[:2] == b"\x1f\x8b"
            text = edit_config((gzip.decompress(data) if packed else data).decode(), case.get("host_config", {}))
            if case.get("host_config_version"):
                text = re.sub(r"^(# Linux/\S+ )\S+( Kernel Configuration)$",
                              rf"\g<1>{case['host_config_version']}\2", text, count=1, flags=re.M)
            path.write_bytes(gzip.compress(text.encode()) if packed else text.encode())
    return root


#: the files that make an initrd of each kind (kcheck.domain.initrd_kind), as those tools lay them out
INITRD_LAYOUTS: dict[str, dict[str, bytes]] = {
    "unknown": {"init": b"#!/bin/sh\nexec /sbin/init\n"},
    "kdump-tools": {"init": b"#!/bin/sh\n. /scripts/functions\n", "conf/initramfs.conf": b"MODULES=dep\n",
                    "conf/arch.conf": b"DPKG_ARCH=amd64\n", "scripts/functions": b"_log_msg() { :; }\n",
                    "scripts/local": b"mountroot() { :; }\n",
                    "scripts/local-bottom/kdump-sysctl": b"#!/bin/sh\n", "etc/kdump/sysctl.conf": b"vm.nr_hugepages=0\n"},
    "dracut-kdump": {"init": b"#!/usr/lib/systemd/systemd\n", "usr/lib/dracut/modules.txt": b"kdumpbase\n",
                     "usr/bin/kdump.sh": b"#!/bin/sh\n", "lib/kdump/kdump-lib-initramfs.sh": b"#!/bin/sh\n",
                     "etc/kdump.conf": b"path /var/crash\n"},
    "probe": {"init": b"#!/bin/sh\nsay() { echo \"@@kcheck:t:$*\"; }\nsay capture-booted\n"},
    # kdump-utils v1.0.44's mkdumprd with dracut 059's squash module (calibration/dracut-kdump.md)
    "dracut-kdump-squashed": {
        "init": b"#!/bin/sh\n/bin/mount -t proc proc /proc\n",
        "usr/bin/busybox": b"\x7fELF busybox", "usr/lib/dracut/dracut-059-4": b"059-4\n",
        "usr/lib/dracut/no-switch-root": b"",
        "usr/lib/dracut/modules.txt": b"\n".join([
            b"systemd", b"systemd-initrd", b"drm", b"kernel-modules", b"kernel-modules-extra", b"overlay-root",
            b"qemu", b"fstab-sys", b"rootfs-block", b"terminfo", b"udev-rules", b"virtiofs", b"dracut-systemd",
            b"usrmount", b"base", b"fs-lib", b"kdumpbase", b"shutdown", b"squash", b""]),
        "usr/lib/modules/6.1.0-57-amd64/kernel/fs/squashfs/squashfs.ko": b"\x7fELF squashfs",
        "squash-root.img": b"hsqs" + bytes(4092)},
}


def build_initrd(spec: dict[str, Any], tmp: Path) -> str:
    """A newc initrd of ``layout`` (or ``kind``)'s files with one file of ``unpacked`` zero bytes,
    gzip'd (small on disk, large unpacked) unless ``compress = false``."""
    import gzip

    from kcheck.rehearse.cpio import CpioWriter

    size = parse_number(spec["unpacked"])
    path = tmp / "initrd.img"
    layout = INITRD_LAYOUTS[spec.get("layout", spec.get("kind", "unknown"))]
    with gzip.open(path, "wb", compresslevel=1) if spec.get("compress", True) else open(path, "wb") as out:
        writer = CpioWriter(out)  # type: ignore[arg-type]
        for name, data in layout.items():
            writer.data(name, data, 0o755 if data.startswith(b"#!") else 0o644)
        writer.data("usr/share/blob", bytes(size))
        writer.close()
    return str(path)


def build_image(spec: dict[str, Any], tmp: Path) -> str:
    """A real image for a case: a vmlinux linked by binutils, a bzImage from boot.rst, an arm64 Image."""
    import gzip

    from tests.image_build import build_bzimage, link_vmlinux, size_append

    def number(key: str, default: int) -> int:
        value = spec.get(key, default)
        return parse_number(value) if isinstance(value, str) else value

    release = spec.get("release", "6.1.0-test-amd64")
    name = spec.get("name", f"{spec['kind']}-{release}")
    if spec["kind"] == "vmlinux":
        path = link_vmlinux(tmp, name, emulation=spec.get("emulation", "elf_x86_64"),
                            paddr=number("paddr", 0x1000000), debug=spec.get("debug", False),
                            banner=f"Linux version {release} (kcheck@tests) #1")
        return str(path)
    if spec["kind"] == "Image":          # arm64: the header (booting.rst) and filler
        from tests.image_build import arm64_image

        path = tmp / name
        path.write_bytes(arm64_image(image_size=number("image_size", 0x2010000)) + bytes(8192))
        return str(path)
    payload = size_append(gzip.compress(b"\x7fELF" + bytes(4096), mtime=0), 4100)
    data = build_bzimage(payload, protocol=number("protocol", 0x020F),
                         relocatable=spec.get("relocatable", True),
                         init_size=number("init_size", 0x3F98000), xloadflags=number("xloadflags", 0x7F),
                         kernel_version=f"{release} (kcheck@tests) #1")
    path = tmp / name
    path.write_bytes(data)
    return str(path)


def evaluate_case(rule_id: str, case: dict[str, Any], tmp: Path) -> RuleResult:
    if "host" in (base_setup(case.get("base", "2.6.13")) or {}):
        setup = host_setup(read_host(str(host_tree(case, tmp))))
    else:
        setup = read_setup(materialise(case, tmp))
    (result,) = evaluate([rules()[rule_id]], setup)
    return result
