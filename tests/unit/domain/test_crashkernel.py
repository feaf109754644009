"""crashkernel= cases with results worked out from the kernel sources.

Sources: lib/cmdline.c memparse + lib/kstrtox.c (numbers), kernel/crash_core.c
(6.1) and kernel/crash_reserve.c (6.12) (finding/parsing), arch/x86/kernel/setup.c
(6.1) and 2.6.13 arch/i386/kernel/setup.c (reservation decisions).
"""

from __future__ import annotations

import pytest

from kcheck.domain.crashkernel import (
    Range,
    find_crashkernel,
    format_size,
    offset_alignment,
    parse_crashkernel_value,
    resolve_crashkernel,
)
from kcheck.domain.memparse import memparse, strtoull
from kcheck.domain.version import KernelVersion

K, M, G = 1 << 10, 1 << 20, 1 << 30
V61 = KernelVersion.parse("6.1")
V612 = KernelVersion.parse("6.12")
V617 = KernelVersion.parse("6.17")
V2613 = KernelVersion.parse("2.6.13")


@pytest.mark.parametrize(
    ("text", "value", "end"),
    [
        ("0100M", 64 * M, 5),  # leading 0 = octal
        ("128", 128, 3),  # no suffix = bytes
        ("0x10m", 16 * M, 5),
        ("0X1e", 0x1E, 4),  # 'e' is a hex digit here, not the E suffix
        ("1e", 1 << 60, 2),
        ("08M", 0, 1),  # octal stops at 8
        ("0xg", 0, 1),  # "0x" without a hex digit: octal 0, stops at 'x'
        ("M", 0, 1),  # a lone suffix is consumed: callers see a value
        ("", 0, 0),
        ("-1", 0, 0),  # no sign
        ("18446744073709551616", 0, 20),  # wraps at 2**64
        ("16E", 0, 3),  # 16 << 60 wraps to 0
        ("1T", 1 << 40, 2),
    ],
)
def test_memparse_like_the_kernel(text: str, value: int, end: int) -> None:
    assert memparse(text) == (value, end)


def test_strtoull_huge_input_wraps_and_stays_linear() -> None:
    digits = "9" * 200_000
    assert strtoull(digits) == ((10**200_000 - 1) % (1 << 64), 200_000)


@pytest.mark.parametrize(("n", "text"), [(64 * M, "64M"), (0, "0"), (1000, "1000"), (3 * G, "3G"),
                                         (1536 * M, "1536M"), (1 << 60, "1E"), (K + 1, "1025")])
def test_format_size(n: int, text: str) -> None:
    assert format_size(n) == text
    assert memparse(text) == (n, len(text))


def test_parse_values() -> None:
    s = parse_crashkernel_value("0100M")
    assert (s.kind, s.size, s.offset, s.error) == ("simple", 64 * M, None, None)
    assert any("octal" in q for q in s.quirks)
    s = parse_crashkernel_value("128")
    assert s.size == 128 and any("128 bytes" in q for q in s.quirks)
    s = parse_crashkernel_value("64M@16M")
    assert (s.size, s.offset, s.format()) == (64 * M, 16 * M, "64M@16M")
    s = parse_crashkernel_value("512M-2G:64M,2G-:128M")
    assert s.kind == "ranges" and s.ranges == (Range(512 * M, 2 * G, 64 * M), Range(2 * G, None, 128 * M))
    assert parse_crashkernel_value("2G-1G:64M").error == "range 1: end <= start"
    assert parse_crashkernel_value("1G-2G:64M,foo").error.startswith("range 2: memory value expected")
    assert parse_crashkernel_value("1G:64M").error == "range 1: '-' expected"
    assert parse_crashkernel_value("1G-2G,3G:64M").error == "range 1: ':' expected"
    assert parse_crashkernel_value("1G-2G").error == "unrecognized character '-' after the size"
    assert parse_crashkernel_value("1G-:64M@").error == "memory value expected after '@'"
    s = parse_crashkernel_value("256M,high")
    assert (s.kind, s.size, s.error) == ("high", 256 * M, None)
    assert parse_crashkernel_value("0,low").size == 0
    assert "expected exactly" in parse_crashkernel_value("64M,high,high").error
    assert parse_crashkernel_value("64Mx").error == "unrecognized character 'x' after the size"
    assert parse_crashkernel_value("64M@16Mjunk").quirks  # junk after the offset: ignored
    assert parse_crashkernel_value("64M foo=bar").raw == "64M"  # the value ends at a space
    assert parse_crashkernel_value("64M\tfoo").error is not None  # ... but not at a tab
    assert "RHEL" in parse_crashkernel_value("auto").error


def test_version_grammar() -> None:
    # ,cma is a suffix only from 6.17; before, it is junk after a plain size.
    assert parse_crashkernel_value("64M,cma", version=V617).error is None
    assert "6.17" in parse_crashkernel_value("64M,cma", version=V61).error
    # Before 3.9 junk after the size was ignored and ,high unknown.
    old = parse_crashkernel_value("64Mx", version=KernelVersion.parse("3.8"))
    assert old.error is None and old.size == 64 * M and old.quirks
    # 2.6.13: size@offset only.
    assert parse_crashkernel_value("64M@16M", version=V2613).error is None
    assert "size@offset" in parse_crashkernel_value("64M", version=V2613).error
    assert parse_crashkernel_value("512M-2G:64M", version=V2613).error is not None
    assert parse_crashkernel_value("1T@0", version=V2613).error is not None  # no T before 2.6.24


def test_find_uses_strstr_and_reports_embedding() -> None:
    specs = find_crashkernel('ro foo=crashkernel=64M "crashkernel=128M" -- crashkernel=1G')
    assert [s.raw for s in specs] == ["64M", '128M"', "1G"]  # quotes are not special
    assert specs[1].error is not None
    assert [s.container for s in specs] == ["foo", None, None]
    assert [s.after_dashes for s in specs] == [False, False, True]
    assert [s.embedded for s in specs] == [True, False, True]
    # Overlapping matches, as strstr(p + 1) finds them.
    first, second = find_crashkernel("crashkernel=crashkernel=64M")
    assert (first.start, first.raw, second.raw) == (0, "crashkernel=", "64M")
    assert any("later crashkernel=" in q for q in first.quirks)
    assert res("crashkernel=crashkernel=64M").size == 64 * M
    # 2.6.13 looked only at word starts.
    assert [s.raw for s in find_crashkernel("foo=crashkernel=64M@16M", version=V2613)] == []
    assert find_crashkernel("ro quiet") == ()


def res(text: str, version: KernelVersion | None = V61, arch: str | None = "x86_64", memory: int | None = 8 * G):
    r = resolve_crashkernel(text, version=version, arch=arch, memory=memory)
    assert r is not None
    return r


@pytest.mark.parametrize(
    ("ram", "size"),
    [(256 * M, 0), (512 * M, 64 * M), (1 * G, 64 * M), (2 * G - 200 * M, 64 * M), (2 * G - 100 * M, 128 * M),
     (2 * G, 128 * M), (64 * G, 128 * M)],
)
def test_ranges_against_ram(ram: int, size: int) -> None:
    # RAM is rounded up to 128M first: 2G-100M counts as 2G ("2G-"), 2G-200M as 1920M.
    r = res("crashkernel=512M-2G:64M,2G-:128M", memory=ram)
    assert r.size == size
    if size == 0:
        assert any("no range matches" in p for p in r.problems)
        assert any("nothing is reserved" in p for p in r.problems)


def test_ranges_lazy_validation() -> None:
    # An entry after the match is never read, so its error does not matter...
    assert res("crashkernel=0-4G:64M,junk", memory=1 * G).size == 64 * M
    # ...but it does when the RAM gets that far.
    assert res("crashkernel=0-4G:64M,junk", memory=8 * G).size == 0
    # size >= RAM: EINVAL for entries scanned up to the match.
    r = res("crashkernel=0-1G:2G,1G-:64M", memory=512 * M)
    assert r.size == 0 and any("invalid size" in p for p in r.problems)
    assert res("crashkernel=1G-:64M,0-1G:2G", memory=4 * G).size == 64 * M
    assert res("crashkernel=2G-1G:64M").size == 0
    assert res("crashkernel=0-:64M@16M").offset == 16 * M
    assert res("crashkernel=1G-:64M", memory=None).size is None


def test_simple_and_offsets() -> None:
    r = res("crashkernel=64M@16M")
    assert (r.size, r.offset, r.high) == (64 * M, 16 * M, False)
    assert res("crashkernel=64M@").offset is None  # bare '@': automatic
    assert res("crashkernel=128").size == 128
    assert res("crashkernel=0100M").size == 64 * M


def test_high_low_x86_61_vs_612() -> None:
    r = res("crashkernel=256M,high crashkernel=0,low")
    assert (r.size, r.high, r.low_size) == (256 * M, True, None)
    assert any("no low region" in p for p in r.problems)
    r = res("crashkernel=256M,high")
    assert (r.high, r.low_size) == (True, 256 * M)  # max(swiotlb + 8M, 256M)
    assert res("crashkernel=256M,high swiotlb=262144").low_size == 512 * M + 8 * M
    # x86 6.1: an invalid plain token falls back to ,high; 6.12 reserves nothing.
    assert res("crashkernel=bad crashkernel=256M,high").size == 256 * M
    assert res("crashkernel=bad crashkernel=256M,high", version=V612).size == 0
    # Valid plain wins over ,high in both.
    assert res("crashkernel=128M crashkernel=256M,high", version=V612).size == 128 * M
    # 6.12: ,low is ignored without ,high.
    r = res("crashkernel=128M crashkernel=0,low", version=V612)
    assert r.low_size == 256 * M and any("ignored" in p for p in r.problems)
    # 6.12: an invalid ,low with ,high is EINVAL for everything.
    assert res("crashkernel=256M,high crashkernel=x,low", version=V612).size == 0
    # 6.1 x86: an invalid ,low just means the default.
    assert res("crashkernel=256M,high crashkernel=x,low").low_size == 256 * M


def test_arches() -> None:
    assert res("crashkernel=256M,high", arch="ppc64le").size == 0
    assert res("crashkernel=256M,high", arch="arm64", version=V612).low_size == 128 * M
    assert res("crashkernel=256M,high", arch="arm64", version=V61).low_size is None
    assert res("crashkernel=bad crashkernel=256M,high", arch="arm64", version=V61).size == 0
    assert res("crashkernel=256M,high", arch="i386").low_size is None
    assert res("crashkernel=256M", arch="aarch64", version=None).size == 256 * M


def test_cma_before_and_after_617() -> None:
    # On 6.1 the trailing ,cma token is the last plain token: EINVAL, no reservation at all.
    r = res("crashkernel=256M crashkernel=64M,cma")
    assert r.size == 0 and r.cma_size is None
    assert any("6.17" in p for p in r.problems) and any("nothing is reserved" in p for p in r.problems)
    r = res("crashkernel=256M crashkernel=64M,cma", version=V617)
    assert (r.size, r.cma_size) == (256 * M, 64 * M)
    assert any("missing from the dump" in p for p in r.problems)
    assert res("crashkernel=64M,cma", version=V617).size == 0  # CMA alone is not enough
    r = res("crashkernel=256M crashkernel=64M,cma", version=V617, arch="ppc64le")
    assert r.size == 256 * M and r.cma_size is None


def test_auto_embedded_last_wins_and_absent() -> None:
    r = res("crashkernel=auto")
    assert r.size == 0 and any("RHEL" in p for p in r.problems)
    r = res("foo=crashkernel=64M")
    assert r.size == 64 * M and r.used_token is not None and r.used_token.container == "foo"
    assert any("inside parameter 'foo'" in p for p in r.problems)
    r = res("crashkernel=64M crashkernel=128M")
    assert r.size == 128 * M and any("crashkernel=64M is ignored" in p for p in r.problems)
    assert resolve_crashkernel("ro quiet", version=V61, arch="x86_64", memory=G) is None


def test_size_ge_ram() -> None:
    assert res("crashkernel=8G", memory=8 * G).size == 0
    assert any("EINVAL" in p for p in res("crashkernel=8G", version=V612, memory=8 * G).problems)
    assert res("crashkernel=0").size == 0


def test_legacy_2613() -> None:
    r = res("crashkernel=64M@16M", version=V2613, arch="i386", memory=G)
    assert (r.size, r.offset) == (64 * M, 16 * M)
    assert res("crashkernel=64M", version=V2613, arch="i386").size == 0
    # Only tokens with '@' overwrite: a later bare size does not undo an earlier one.
    assert res("crashkernel=64M@16M crashkernel=32M", version=V2613, arch="i386").size == 64 * M
    # unsigned long on i386: 4G+64M truncates to 64M.
    assert res("crashkernel=4160M@16M", version=V2613, arch="i386").size == 64 * M


def test_offset_alignment() -> None:
    assert offset_alignment("x86_64", V61) == M
    assert offset_alignment("x86_64", V612) == 16 * M
    assert offset_alignment("i386", V2613) is None
    assert offset_alignment("arm64", V61) == 2 * M
    assert offset_alignment("riscv64", V612) == 2 * M
    assert offset_alignment("arm", V61) == M and offset_alignment("arm", V61, arm_lpae=True) == 2 * M
    assert offset_alignment("ppc64le", V61, page_size=64 * K) == 64 * K
    assert offset_alignment("s390x", V61) == M
    assert offset_alignment("mips", V61) is None


def test_newest_kernel_keeps_arch_limits() -> None:
    # version None = newest: still no ,high on ppc64le, generic rules on x86.
    assert res("crashkernel=256M,high", version=None, arch="ppc64le").size == 0
    assert res("crashkernel=256M,high", version=None, arch="x86_64").high
    assert res("crashkernel=256M,high", version=None, arch=None).high
