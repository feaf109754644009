"""Which kernels the dump tools know: makedumpfile and crash, release by release.

makedumpfile writes the dump in the capture kernel; crash reads it later.
Both follow the kernel's internal structures, so a release knows the kernels
up to its own date.

* **makedumpfile** says so itself: ``LATEST_VERSION`` in makedumpfile.h (and
  the README's "SUPPORTED KERNELS"), raised in every "[vX.Y.Z] Update
  version" commit.  For a newer kernel ``check_release()`` prints "The kernel
  version is not supported. The makedumpfile operation may be incomplete."
  and goes on; the maintainer calls LATEST_VERSION the kernels it supports
  (makedumpfile/makedumpfile#20).  What "incomplete" means in practice:
  1.7.6 on 6.12 took free pages for kernel pages and wrote a dump of
  the whole RAM (sonic-net/sonic-buildimage#25890, fixed by 72c3414 in
  1.7.7); 1.7.2 excluded slab pages wrongly on 6.2 (5f17bdd in 1.7.3).
* **crash** declares no supported range; its release notes (the commit list
  of each release) name the kernels its fixes are for ("Fix ... on Linux
  6.18 and later kernels").  The newest such kernel is what a release is
  known to read.  Its embedded gdb decides whether compressed debug
  sections can be read: gdb 7.6 until 7.3.x, gdb 10.2 from 8.0.0 (9fab193),
  gdb 16.2 from 9.0.0 (dfb2bb5).

Versions are the upstream release (``1:1.7.2-1`` -> ``1.7.2``), compared as
numbers.  A release newer than the table is not judged.
"""

from __future__ import annotations

from kcheck.domain.shellwords import split_words
from kcheck.domain.version import KernelVersion

#: makedumpfile release -> (LATEST_VERSION of its makedumpfile.h, the release commit).
MAKEDUMPFILE_LATEST: tuple[tuple[str, str, str], ...] = (
    ("1.6.0", "4.5.3", "688bb44"), ("1.6.1", "4.8.1", "0820a55"), ("1.6.2", "4.11.7", "d14c126"),
    ("1.6.3", "4.14.8", "4982e06"), ("1.6.4", "4.17.0", "d4a30d8"), ("1.6.5", "4.19.4", "af8e016"),
    ("1.6.6", "5.1.9", "0a8b504"), ("1.6.7", "5.4.8", "e730165"), ("1.6.8", "5.9.4", "18e0cdb"),
    ("1.6.9", "5.12.1", "a9ad811"), ("1.7.0", "5.15.0", "06ef8e2"), ("1.7.1", "5.17.1", "74bbdd1"),
    ("1.7.2", "6.0.1", "9fefc68"), ("1.7.3", "6.3.0", "ecc9355"), ("1.7.4", "6.6.0", "3bc3b3e"),
    ("1.7.5", "6.8.4", "c266469"), ("1.7.6", "6.11.4", "97a8948"), ("1.7.7", "6.14.2", "e4ae6b5"),
    ("1.7.8", "6.17.4", "65e0b54"), ("1.7.9", "7.0.0", "eb42d63"),
)

#: crash release -> (the newest Linux series its release notes name a fix for, that commit).
CRASH_NAMED: tuple[tuple[str, str, str], ...] = (
    ("8.0.0", "5.12", "8246dce"), ("8.0.1", "5.17", "b89f9cc"), ("8.0.2", "5.18", "68ce0b9"),
    ("8.0.3", "6.3", "489093c"), ("8.0.4", "6.6", "38d35bd"), ("8.0.5", "6.8", "3d60d9d"),
    ("8.0.6", "6.10", "3452fe8"), ("9.0.0", "6.14", "3340224"), ("9.0.1", "6.16", "7e8a279"),
    ("9.0.2", "6.18", "89e4139"),
)

#: The first crash release whose gdb (16.2, dfb2bb5) reads compressed debug sections:
#: before it crash cannot use a vmlinux built with DEBUG_INFO_COMPRESSED (zlib:
#: crash-utility/crash#56 with gdb 7.6, #139 with gdb 10.2; zstd: #190, #196).
CRASH_READS_COMPRESSED = "9.0.0"


def _v(text: str) -> KernelVersion | None:
    return KernelVersion.parse(text)


def _series(version: KernelVersion) -> tuple[int, int]:
    return version.parts[0], version.parts[1]


def _row(table: tuple[tuple[str, str, str], ...], release: str) -> tuple[str, str, str] | str | None:
    """The table row for ``release``: its own row, or the row of the release it follows
    (a distribution's 1.7.2+git); "older" before the table; None after it (or no version)."""
    version = _v(release)
    newest = _v(table[-1][0])
    if version is None or newest is None or version > newest:
        return None
    rows = [row for row in table if (v := _v(row[0])) is not None and v <= version]
    return rows[-1] if rows else "older"


def makedumpfile_latest(release: str) -> tuple[str, str] | None:
    """``(newest kernel, where it says so)`` for a makedumpfile release; None when kcheck's
    table cannot tell (a release newer than the table, or no version)."""
    row = _row(MAKEDUMPFILE_LATEST, release)
    if row is None:
        return None
    if row == "older":
        first = MAKEDUMPFILE_LATEST[0]
        return (f"at most {first[1]}", f"older than makedumpfile {first[0]}, whose makedumpfile.h "
                f"LATEST_VERSION is {first[1]}")
    assert isinstance(row, tuple)
    return row[1], f"makedumpfile.h LATEST_VERSION in makedumpfile {row[0]} ({row[2]})"


def makedumpfile_knows(release: str, kernel: KernelVersion) -> bool | None:
    """Whether the makedumpfile release supports ``kernel``'s series (None: cannot tell).

    Series, not patch level: makedumpfile prints its message also for a later
    stable release of its newest series, but stable releases keep the
    structures it reads."""
    found = makedumpfile_latest(release)
    if found is None:
        return None
    newest = _v(found[0].removeprefix("at most "))
    return newest is not None and _series(kernel) <= _series(newest)


def crash_named(release: str) -> tuple[str, str] | None:
    """``(newest Linux series its release notes name, the commit)`` for a crash release."""
    row = _row(CRASH_NAMED, release)
    if row is None:
        return None
    if row == "older":
        return (f"before {CRASH_NAMED[0][1]}", f"older than crash {CRASH_NAMED[0][0]}")
    assert isinstance(row, tuple)
    return row[1], f"crash {row[0]} release notes ({row[2]})"


def crash_knows(release: str, kernel: KernelVersion) -> bool | None:
    found = crash_named(release)
    if found is None:
        return None
    if found[0].startswith("before "):
        return False if _series(kernel) >= _series(_v(CRASH_NAMED[0][1]) or kernel) else None
    newest = _v(found[0])
    return newest is not None and _series(kernel) <= _series(newest)


def crash_reads_compressed(release: str) -> bool | None:
    """Whether crash's gdb reads compressed debug sections (None: no version)."""
    version = _v(release)
    threshold = _v(CRASH_READS_COMPRESSED)
    if version is None or threshold is None:
        return None
    return version >= threshold


#: makedumpfile -d bits (makedumpfile(8)): 1 zero pages, 2 cache, 4 cache private, 8 user, 16 free.
DUMP_LEVEL_USER = 8


def dump_level(collector: str) -> int | None:
    """The ``-d`` level of a makedumpfile command (0 without -d: every page kept); a plain copy
    (cp, dd, cat) keeps every page too: 0.  None for any other command (a script: unknown)."""
    try:
        words = split_words(collector)
    except ValueError:
        return None
    if not words:
        return None
    tool = words[0].rsplit("/", 1)[-1]
    if tool in ("cp", "dd", "cat"):
        return 0
    if tool != "makedumpfile":
        return None
    level = 0
    for index, word in enumerate(words[1:], start=1):
        value = None
        if word in ("-d", "--dump-level") and index + 1 < len(words):
            value = words[index + 1]
        elif word.startswith("--dump-level="):
            value = word.split("=", 1)[1]
        elif word.startswith("-d") and word[2:].isdigit():
            value = word[2:]
        if value is not None:
            if not value.isdigit():
                return None
            level = int(value)
    return level
