"""Installed package versions, read from the package database under ROOT (never by running a tool).

* Debian and Ubuntu: ``/var/lib/dpkg/status``, stanzas of ``Package:``,
  ``Status:`` and ``Version:`` (``[epoch:]upstream[-revision]``); only
  ``install ok installed`` counts.
* Fedora and RHEL 9+: ``/var/lib/rpm/rpmdb.sqlite``, opened read-only and
  immutable: the ``Name`` index gives the header number, the header blob in
  ``Packages`` its VERSION tag (1001), a string in the header's data store
  (rpm's header format: entry count, data length, 16-byte index entries of
  tag, type, offset, count, all big-endian).

The version is the upstream part (``1:2.0.25-3+b1`` -> ``2.0.25``).
"""

from __future__ import annotations

import re
import struct

from kcheck.inputs.hostfs import HostRoot

DPKG_STATUS = "/var/lib/dpkg/status"
RPMDB = "/var/lib/rpm/rpmdb.sqlite"
STATUS_LIMIT = 64 * 1024 * 1024
_TAG_VERSION = 1001
_STRING = 6
_HEADER_LIMIT = 64 * 1024 * 1024


def installed_versions(root: HostRoot, packages: tuple[str, ...]) -> dict[str, tuple[str, str] | None]:
    """``(version, where it was read)`` of each of ``packages`` that is installed (None for the rest).

    The package database is read once for all of them: a dpkg status file is
    megabytes on a real host, and pre-flight asks for several tools.
    """
    found: dict[str, tuple[str, str] | None] = dict.fromkeys(packages)
    text = root.read_optional(DPKG_STATUS, STATUS_LIMIT, what="dpkg status database")
    if text is not None:
        for package, version in dpkg_versions(text, packages).items():
            found[package] = (version, root.show(DPKG_STATUS))
    missing = [package for package, version in found.items() if version is None]
    if missing and root.is_file(RPMDB):
        rpmdb = root.real_file(RPMDB)
        for package in missing:
            version = rpm_version(rpmdb, package)
            if version:
                found[package] = (version, root.show(RPMDB))
    return found


def installed_version(root: HostRoot, package: str) -> tuple[str, str] | None:
    """``(version, where it was read)`` of ``package`` when installed, else None."""
    return installed_versions(root, (package,))[package]


def dpkg_versions(status: str, packages: tuple[str, ...]) -> dict[str, str]:
    """The upstream versions of those of ``packages`` installed according to a dpkg status file."""
    wanted = set(packages)
    versions: dict[str, str] = {}
    for stanza in re.split(r"\n\s*\n", status):
        fields = dict(_fields(stanza))
        name = fields.get("Package")
        if name in wanted and name not in versions and fields.get("Status", "").endswith(" installed"):
            version = upstream(fields.get("Version", ""))
            if version:
                versions[name] = version
    return versions


def dpkg_version(status: str, package: str) -> str | None:
    """The upstream version of an installed ``package`` in a dpkg status file."""
    return dpkg_versions(status, (package,)).get(package)


def _fields(stanza: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in stanza.splitlines():
        name, colon, value = line.partition(":")
        if colon and name and not name[0].isspace():
            out.append((name.strip(), value.strip()))
    return out


def upstream(version: str) -> str:
    """``1:2.0.25-3+b1`` -> ``2.0.25``; ``2.0.29-1.fc40`` -> ``2.0.29``."""
    version = version.split(":", 1)[-1]
    return version.rsplit("-", 1)[0] if "-" in version else version


def rpm_version(path: str, package: str) -> str | None:
    """The VERSION of ``package`` in an rpm sqlite database, or None (any problem: None)."""
    import sqlite3  # lazy: sqlite3: only rpm databases

    uri = "file:" + path.replace("?", "%3f").replace("#", "%23") + "?mode=ro&immutable=1"
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return None
    try:
        row = db.execute("SELECT p.blob FROM Name n JOIN Packages p ON p.hnum = n.hnum "
                         "WHERE n.key = ? LIMIT 1", (package,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    if row is None or not isinstance(row[0], bytes):
        return None
    return header_string(row[0], _TAG_VERSION)


def header_string(blob: bytes, tag: int) -> str | None:
    """A string tag of an rpm header blob (as rpmdb stores it: no leading magic)."""
    if len(blob) < 8:
        return None
    count, size = struct.unpack(">II", blob[:8])
    store = 8 + 16 * count
    if count > 65536 or size > _HEADER_LIMIT or store + size > len(blob):
        return None
    for index in range(count):
        entry_tag, entry_type, offset, _ = struct.unpack(">IIiI", blob[8 + 16 * index:24 + 16 * index])
        if entry_tag == tag and entry_type == _STRING and 0 <= offset < size:
            data = blob[store + offset:store + size]
            return data.split(b"\0", 1)[0].decode("utf-8", "replace") or None
    return None
