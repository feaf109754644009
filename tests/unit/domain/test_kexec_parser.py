"""The kexec command parser follows kexec-tools' getopt_long."""

from __future__ import annotations

import pytest

from kcheck.domain.errors import InputError
from kcheck.domain.kexec import parse_kexec


def test_kdump_txt_command() -> None:
    kexec = parse_kexec('kexec -p /boot/vmlinux --args-linux --elf32-core-headers '
                        '--append="root=/dev/sda1 init 1 irqpoll"')
    assert kexec.panic and kexec.action == "load-panic"
    assert kexec.kernel_path == "/boot/vmlinux"
    assert kexec.has("args-linux") and kexec.has("elf32-core-headers")
    assert kexec.append == "root=/dev/sda1 init 1 irqpoll"
    assert kexec.unknown == ()


def test_aliases_values_and_last_wins() -> None:
    kexec = parse_kexec("/sbin/kexec --load-panic --command-line 'a b' --ramdisk=/i1 "
                        "--initrd /i2 --append=c --type elf-x86 vmlinux")
    assert kexec.panic
    assert kexec.append == "c"
    assert kexec.initrd == "/i2"
    assert kexec.kexec_type == "elf-x86"
    assert kexec.kernel_path == "vmlinux"


def test_short_clusters_and_syscall_choice() -> None:
    kexec = parse_kexec("kexec -ps -telf-x86 vmlinuz")
    assert kexec.panic and kexec.file_syscall and kexec.kexec_type == "elf-x86"
    assert not parse_kexec("kexec -p -s -c vmlinuz").file_syscall


def test_unique_prefix_and_ambiguity() -> None:
    assert parse_kexec("kexec -p --elf32 v").has("elf32-core-headers")
    kexec = parse_kexec("kexec -p --args v")  # --args-linux, --args-elf, --args-none
    assert kexec.unknown == ("--args",)


def test_wrappers_and_environment_are_skipped() -> None:
    assert parse_kexec("sudo LANG=C kexec -p v").panic


def test_last_action_wins() -> None:
    assert parse_kexec("kexec -p -l v").action == "load"


@pytest.mark.parametrize(("text", "reason"), [
    ("kexec -p 'unterminated", "cannot split"),
    ("", "not a kexec command"),
    ("echo -p vmlinux", "not a kexec command"),
    ("kexec -p --append", "needs a value"),
    ("kexec -t", "needs a value"),
])
def test_bad_commands(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_kexec(text)
