"""Installed package versions from the package database under ROOT (kcheck.inputs.packages)."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

from kcheck.inputs.hostfs import HostRoot
from kcheck.inputs.packages import dpkg_version, header_string, installed_version, installed_versions, upstream

STATUS = """Package: kexec-tools
Status: deinstall ok config-files
Version: 1:2.0.20-2

Package: kexec-tools
Status: install ok installed
Version: 1:2.0.25-3+b1
Description: tools to support fast kexec reboots
 Version: 9.9 (a continuation line is not a field)
"""


def test_dpkg_status_gives_the_installed_upstream_version() -> None:
    assert dpkg_version(STATUS, "kexec-tools") == "2.0.25"
    assert dpkg_version(STATUS, "makedumpfile") is None
    assert upstream("1:2.0.25-3+b1") == "2.0.25" and upstream("2.0.29-1.fc40") == "2.0.29"
    assert upstream("2.0.32") == "2.0.32"


def _header(tags: dict[int, str]) -> bytes:
    """An rpm header blob as rpmdb.sqlite stores it (rpm's lib/header.c layout, no magic)."""
    index, store = b"", b""
    for tag, value in tags.items():
        index += struct.pack(">IIiI", tag, 6, len(store), 1)
        store += value.encode() + b"\0"
    return struct.pack(">II", len(tags), len(store)) + index + store


def test_rpmdb_sqlite_gives_the_version_tag(tmp_path: Path) -> None:
    (tmp_path / "var/lib/rpm").mkdir(parents=True)
    db = sqlite3.connect(tmp_path / "var/lib/rpm/rpmdb.sqlite")
    db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
    db.execute("CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL)")
    db.execute("INSERT INTO Packages (hnum, blob) VALUES (7, ?)", (_header({1000: "kexec-tools", 1001: "2.0.29"}),))
    db.execute("INSERT INTO Name VALUES ('kexec-tools', 7, 0)")
    db.commit()
    db.close()
    before = (tmp_path / "var/lib/rpm/rpmdb.sqlite").read_bytes()
    assert installed_version(HostRoot(str(tmp_path)), "kexec-tools") == ("2.0.29", f"{tmp_path}/var/lib/rpm/rpmdb.sqlite")
    assert installed_version(HostRoot(str(tmp_path)), "crash") is None
    assert (tmp_path / "var/lib/rpm/rpmdb.sqlite").read_bytes() == before, "opened read-only"
    assert not list((tmp_path / "var/lib/rpm").glob("*-journal")) and not list((tmp_path / "var/lib/rpm").glob("*-wal"))


def test_broken_databases_give_no_version(tmp_path: Path) -> None:
    assert header_string(b"\x00\x00\x00\x05", 1001) is None
    assert header_string(struct.pack(">II", 1, 99) + b"\0" * 16, 1001) is None  # data runs past the end
    (tmp_path / "var/lib/rpm").mkdir(parents=True)
    (tmp_path / "var/lib/rpm/rpmdb.sqlite").write_bytes(b"not a database")
    assert installed_version(HostRoot(str(tmp_path)), "kexec-tools") is None


def test_several_packages_from_one_read_of_the_dpkg_status(tmp_path: Path) -> None:
    status = tmp_path / "var" / "lib" / "dpkg" / "status"
    status.parent.mkdir(parents=True)
    status.write_text(STATUS + "\nPackage: makedumpfile\nStatus: install ok installed\nVersion: 1:1.7.2-1\n")
    root = HostRoot(str(tmp_path))
    reads: list[str] = []
    original = root.read_text
    root.read_text = lambda path, *args, **kwargs: reads.append(path) or original(path, *args, **kwargs)  # type: ignore[method-assign]
    found = installed_versions(root, ("kexec-tools", "makedumpfile", "crash"))
    assert found == {"kexec-tools": ("2.0.25", root.show("/var/lib/dpkg/status")),
                     "makedumpfile": ("1.7.2", root.show("/var/lib/dpkg/status")), "crash": None}
    assert reads == ["/var/lib/dpkg/status"]
