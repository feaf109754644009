"""Property tests: never raise, stay linear, and round-trip accepted specs."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from kcheck.domain.crashkernel import (
    find_crashkernel,
    format_size,
    parse_crashkernel_value,
    resolve_crashkernel,
)
from kcheck.domain.memparse import MASK64, memparse
from kcheck.domain.version import KernelVersion

VERSIONS = [None] + [KernelVersion.parse(v) for v in ("2.6.13", "3.8", "5.19", "6.1", "6.12", "6.17")]
ARCHES = [None, "i386", "x86_64", "arm64", "arm", "ppc64", "ppc64le", "s390x", "riscv64", "mips"]

# Characters that matter to the grammar, plus some that do not.
ALPHABET = list("0123456789xXabcdefKMGTPEkmgtpe-:,@ \t\"=hilowcmau\xa0") + ["high", "low", "cma"]
values = st.lists(st.sampled_from(ALPHABET), max_size=30).map("".join)
numbers = st.integers(min_value=0, max_value=MASK64)
sizes = numbers.map(format_size)
suffixes = st.sampled_from(["", "K", "M", "G", "T", "P", "E", "k", "m"])


@st.composite
def well_formed(draw: st.DrawFn) -> str:
    """Values a user might write, including octal and hex spellings."""
    num = st.one_of(sizes, numbers.map(str), numbers.map(hex), st.integers(0, 4095).map(lambda n: f"0{n:o}"))
    kind = draw(st.sampled_from(["simple", "ranges", "high", "low", "cma"]))
    if kind == "simple":
        at = draw(st.one_of(st.just(""), num.map(lambda n: "@" + n)))
        return draw(num) + draw(suffixes) + at
    if kind == "ranges":
        entries = []
        for _ in range(draw(st.integers(1, 5))):
            start = draw(st.integers(0, 1 << 40))
            end = draw(st.one_of(st.none(), st.integers(start + 1, 1 << 41)))
            entries.append(f"{format_size(start)}-{'' if end is None else format_size(end)}:{draw(num)}")
        at = draw(st.one_of(st.just(""), sizes.map(lambda n: "@" + n)))
        return ",".join(entries) + at
    return f"{draw(num)}{draw(suffixes)},{kind}"


@settings(max_examples=500)
@given(values, st.sampled_from(VERSIONS))
def test_parse_never_raises(value: str, version: KernelVersion | None) -> None:
    spec = parse_crashkernel_value(value, version=version)
    assert spec.error is None or isinstance(spec.error, str)


@settings(max_examples=500)
@given(st.lists(st.one_of(values, values.map(lambda v: "crashkernel=" + v), values.map(lambda v: "x=crashkernel=" + v)),
                max_size=6).map(" ".join),
       st.sampled_from(VERSIONS), st.sampled_from(ARCHES), st.one_of(st.none(), numbers))
def test_resolve_never_raises(text: str, version: KernelVersion | None, arch: str | None, memory: int | None) -> None:
    r = resolve_crashkernel(text, version=version, arch=arch, memory=memory)
    if r is None:
        assert find_crashkernel(text, version=version) == ()
    else:
        assert r.size is None or r.size >= 0
        assert all(isinstance(p, str) for p in r.problems)
        assert r.size != 0 or any("nothing is reserved" in p for p in r.problems)


@settings(max_examples=1000)
@given(well_formed(), st.sampled_from(VERSIONS))
def test_accepted_specs_round_trip(value: str, version: KernelVersion | None) -> None:
    spec = parse_crashkernel_value(value, version=version)
    if spec.error is None:
        again = parse_crashkernel_value(spec.format(), version=version)
        assert again == spec, (value, spec.format())
        assert again.format() == spec.format()


@settings(max_examples=300)
@given(numbers)
def test_format_size_is_exact(n: int) -> None:
    text = format_size(n)
    assert memparse(text) == (n, len(text))
    assert not (len(text) > 1 and text[0] == "0")


# Hostile inputs must finish: a generous hang guard, not a speed test (bench/ measures speed).
HANG_GUARD = 60.0


def test_ten_thousand_ranges_stay_fast() -> None:
    entries = ",".join(f"{i}G-{i + 1}G:64M" for i in range(1, 10_001))
    text = f"ro crashkernel={entries},junk quiet"
    start = time.perf_counter()
    spec = parse_crashkernel_value(entries + ",junk")
    r = resolve_crashkernel(text, version=None, arch="x86_64", memory=20_000 << 30)
    elapsed = time.perf_counter() - start
    assert len(spec.ranges) == 10_000 and spec.error is not None
    assert r is not None and r.size == 0  # RAM beyond every range: the junk entry is reached
    assert elapsed < HANG_GUARD, elapsed


def test_huge_numbers_and_long_lines_stay_fast() -> None:
    start = time.perf_counter()
    parse_crashkernel_value("9" * 300_000 + "M@" + "7" * 300_000)
    resolve_crashkernel("crashkernel=" * 20_000, version=None, arch="x86_64", memory=1 << 33)
    assert time.perf_counter() - start < HANG_GUARD
