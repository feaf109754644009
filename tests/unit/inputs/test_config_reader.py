"""The .config reader: kconfig's format, headers, gzip, and bad files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kcheck.domain.errors import InputError
from kcheck.inputs.kconfig import parse_config_text, read_config
from kcheck.domain.version import KernelVersion
from tests.conftest import FIXTURES


def test_values_of_every_form() -> None:
    config = parse_config_text(
        "CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=\"a \\\"quoted\\\" \\\\ str\"\n"
        "CONFIG_E=0x1000000\nCONFIG_F=123\nCONFIG_G=\n# a comment\n\n", "t")
    assert config.values == {"A": "y", "B": "m", "C": "n", "D": 'a "quoted" \\ str',
                             "E": "0x1000000", "F": "123", "G": ""}
    assert config.tristate("G") == "n" and config.tristate("B") == "m"
    assert config.tristate("ABSENT") == "n" and config.get("ABSENT") is None
    assert config.lines["E"] == 5


def test_duplicate_last_wins_with_a_warning() -> None:
    config = parse_config_text("CONFIG_SMP=y\n# CONFIG_SMP is not set\n", "t")
    assert config.values["SMP"] == "n"
    assert config.lines["SMP"] == 2
    assert any("CONFIG_SMP set again (line 1" in w for w in config.warnings)


def test_junk_lines_are_warned_about_and_skipped() -> None:
    config = parse_config_text("CONFIG_A=y\nthis is not config\n", "t")
    assert config.values == {"A": "y"}
    assert any("line 2" in w for w in config.warnings)


@pytest.mark.parametrize(("header", "version", "arch"), [
    ("# Linux kernel version: 2.6.13\n", "2.6.13", None),
    ("# Linux/x86 6.1.0 Kernel Configuration\n", "6.1", "x86"),
    ("# Linux/i386 2.6.20 Kernel Configuration\n", "2.6.20", "i386"),
    ("# Linux/arm64 6.1.0-56-arm64 Kernel Configuration\n", "6.1", "arm64"),
])
def test_header_version_and_arch(header: str, version: str, arch: str | None) -> None:
    config = parse_config_text("#\n# Automatically generated file; DO NOT EDIT.\n" + header + "CONFIG_A=y\n", "t")
    assert config.header_version == KernelVersion.parse(version)
    assert config.header_arch == arch


def test_gzip_found_by_magic_not_name(tmp_path: Path) -> None:
    path = tmp_path / "config-plain-name"
    path.write_bytes(gzip.compress((FIXTURES / "2.6.13" / "system.config").read_bytes()))
    config = read_config(str(path))
    assert config.values["KEXEC"] == "y"
    assert config.header_version == KernelVersion.parse("2.6.13")


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"\n\n  \n", "empty file"),
    (b"hello world\n", "no CONFIG_ lines"),
    (b"CONFIG_A=y\n\xff\xfe\n", "not UTF-8"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 20, "corrupt gzip"),
    (gzip.compress(b"CONFIG_A=y\n" * 100)[:-12], "truncated gzip"),
])
def test_bad_files_are_one_clear_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_config(str(path))
    assert reason in info.value.message
    assert info.value.source == str(path)


def test_gzip_bomb_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(b"#" * (40 * 1024 * 1024)))
    with pytest.raises(InputError, match="decompresses to more than"):
        read_config(str(path))
