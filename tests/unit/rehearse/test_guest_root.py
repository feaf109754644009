"""--guest-root: another architecture's programs, resolved inside their own directory."""

from __future__ import annotations

import os
import shutil

import pytest

from kcheck.domain.errors import InputError
from kcheck.rehearse.hosttools import collect, elf_machine, find_program, in_root
from rehearse_helpers import arm64_parts, i386_parts, missing_arm64_parts, missing_i386_parts


def test_in_root_follows_links_inside_the_root_only(tmp_path):
    root = tmp_path / "root"
    (root / "lib/i386-linux-gnu").mkdir(parents=True)
    (root / "lib/i386-linux-gnu/libc.so.6").write_bytes(b"guest libc")
    (root / "lib/libc.so.6").symlink_to("i386-linux-gnu/libc.so.6")         # relative
    (root / "lib/abs.so").symlink_to("/lib/i386-linux-gnu/libc.so.6")      # absolute: the root's, not the host's
    (root / "lib/out.so").symlink_to("../../../../../etc/passwd")          # cannot climb out of the root
    (root / "lib/loop").symlink_to("loop")
    assert in_root(str(root), "/lib/libc.so.6") == str(root / "lib/i386-linux-gnu/libc.so.6")
    assert in_root(str(root), "/lib/abs.so") == str(root / "lib/i386-linux-gnu/libc.so.6")
    assert in_root(str(root), "/lib/out.so") is None
    assert in_root(str(root), "/lib/loop") is None
    assert in_root(str(root), "/no/such/file") is None


def test_find_program_under_a_root_ignores_the_host_path(tmp_path):
    assert find_program("sh", root=str(tmp_path)) is None
    (tmp_path / "sbin").mkdir()
    kexec = tmp_path / "sbin/kexec"
    kexec.write_bytes(b"\x7fELF")
    kexec.chmod(0o755)
    assert find_program("kexec", root=str(tmp_path)) == str(kexec)


@pytest.mark.skipif(missing_i386_parts() is not None, reason=missing_i386_parts() or "")
def test_debian_i386_kexec_and_makedumpfile_closures():
    root = str(i386_parts() / "root")
    kexec = find_program("kexec", root=root)
    makedumpfile = find_program("makedumpfile", root=root)
    assert kexec and makedumpfile and elf_machine(kexec) == "EM_386"
    tool = collect("makedumpfile", makedumpfile, root)
    inside = {path for path, _ in tool.files}
    assert "/lib/ld-linux.so.2" in inside and {"/lib/libc.so.6", "/lib/libdw.so.1", "/lib/libelf.so.1"} <= inside
    for _, host in tool.files:
        assert host.startswith(root) and os.path.isfile(host) and elf_machine(host) == "EM_386"
    assert collect("busybox", find_program("busybox", root=root) or "", root).files == ()   # static


def test_missing_library_in_the_root_is_one_error(tmp_path):
    host_kexec = find_program("kexec")
    if host_kexec is None:
        pytest.skip("kexec not installed (.ci/setup-host installs kexec-tools)")
    (tmp_path / "sbin").mkdir()
    shutil.copy(host_kexec, tmp_path / "sbin/kexec")
    with pytest.raises(InputError, match="loader|not in the library directories"):
        collect("kexec", str(tmp_path / "sbin/kexec"), str(tmp_path))


@pytest.mark.skipif(missing_arm64_parts() is not None, reason=missing_arm64_parts() or "")
def test_debian_arm64_kexec_closure_takes_the_xen_libraries():
    """Debian's arm64 kexec-tools is built with Xen support: libxenctrl and its siblings go into the VM."""
    root = str(arm64_parts() / "root")
    kexec = find_program("kexec", root=root)
    assert kexec and elf_machine(kexec) == "EM_AARCH64"
    inside = {path for path, _ in collect("kexec", kexec, root).files}
    assert {"/lib/ld-linux-aarch64.so.1", "/lib/libc.so.6", "/lib/libxenctrl.so.4.17",
            "/lib/libxencall.so.1", "/lib/libxentoolcore.so.1"} <= inside
    tool = collect("makedumpfile", find_program("makedumpfile", root=root) or "", root)
    for _, host in tool.files:
        assert host.startswith(root) and elf_machine(host) == "EM_AARCH64"
    assert collect("busybox", find_program("busybox", root=root) or "", root).files == ()
