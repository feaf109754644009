"""Chunked searches give the same answer as a search of the whole buffer."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from kcheck.inputs.image.scan import BANNER_RE, find_banner, find_bytes, release_of

BANNER = b"Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP PREEMPT_DYNAMIC Debian"


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@given(st.binary(max_size=3000), st.integers(0, 3000), st.lists(st.integers(0, 10_000), max_size=12),
       st.sampled_from([b"\n", b"\x00"]))
def test_banner_across_chunks(noise: bytes, at: int, cuts: list[int], end: bytes) -> None:
    noise = noise.replace(b"Linux", b"Lnx")
    data = noise[:at] + BANNER + end + noise[at:]
    whole = BANNER_RE.search(data)
    assert whole is not None
    assert find_banner(iter(_split(data, cuts))) == whole.group(0).decode("ascii", "replace")


@given(st.binary(max_size=3000), st.integers(0, 3000), st.lists(st.integers(0, 10_000), max_size=12))
def test_find_bytes_across_chunks(noise: bytes, at: int, cuts: list[int]) -> None:
    noise = noise.replace(b"IKCFG", b"ikcfg")
    data = noise[:at] + b"IKCFG_ST" + noise[at:]
    found = find_bytes(iter(_split(data, cuts)), b"IKCFG_ST")
    assert found is not None
    offset, rest = found
    assert offset == data.find(b"IKCFG_ST")
    assert data[offset:].startswith(rest) and rest.startswith(b"IKCFG_ST")


def test_printk_format_is_not_a_banner() -> None:
    assert find_banner(iter([b"\x00Linux version %s (%s)\n\x00"])) is None


def test_release_of() -> None:
    assert release_of("Linux version 6.1.0-56-amd64 (x@y) #1") == "6.1.0-56-amd64"
    assert release_of("2.6.20-1-686 (waldi@debian.org) #1 SMP") == "2.6.20-1-686"
    assert release_of("not a version") is None and release_of(None) is None
