"""``crashkernel=`` as written: parsing one value the way the kernel does.

This is a port of the kernel's parser, not a grammar of our own, because the
kernel's quirks decide what gets reserved:

* the token is found with ``strstr(cmdline, "crashkernel=")``, so it also
  matches inside another parameter's value; the LAST match wins; the value
  ends at the next ``' '`` (not tab); quotes mean nothing
  (kernel/crash_core.c 6.1 ``get_last_crashkernel``, kernel/crash_reserve.c 6.12);
* the plain parser skips tokens ending in a known suffix (``,high``/``,low``
  since 3.9, ``,cma`` since 6.17), so on older kernels a ``,cma`` token is the
  last plain token and is rejected;
* range syntax is used iff ``:`` comes before the first space;
* ranges are scanned lazily against RAM: entries after the matching one are
  never looked at (``parse_crashkernel_mem``).

Version facts used here (see the report in the branch for how each was checked):

* ``V_RANGES`` 2.6.24: ``parse_crashkernel()`` with ranges and strstr, commit
  cba63c3089fe "Extended crashkernel command line" (Bernhard Walle, Oct 2007;
  release inferred from the date: unverified).  Before it, 2.6.13's
  arch/i386/kernel/setup.c ``parse_cmdline_early`` matched ``crashkernel=`` only
  at the start of a word and reserved only when ``@`` followed the size.
* ``V_SUFFIX`` 3.9: ``,high``/``,low`` and the strict check that only ``@``,
  space or end may follow a simple size, commit adbc742bf786 (Yinghai Lu,
  April 2013; release unverified).  Before it, junk after the size was ignored
  (from that commit's changelog: unverified in source).
* ``V_CMA`` 6.17: ``,cma`` (Jiri Bohac; merged in the 6.17 merge window per
  Phoronix 2025-08-04; the catalogue's "6.16" is wrong on that evidence).
"""

from __future__ import annotations

from typing import Literal

from kcheck.domain.memparse import (
    ALL_SUFFIXES,
    LEGACY_SUFFIXES,
    MASK64,
    format_size,
    memparse,
)
from kcheck.domain.records import field, record, replace
from kcheck.domain.version import KernelVersion

Kind = Literal["simple", "ranges", "high", "low", "cma", "auto"]

NAME = "crashkernel="
V_RANGES = KernelVersion((2, 6, 24, 0))
V_SUFFIX = KernelVersion((3, 9, 0, 0))
V_CMA = KernelVersion((6, 17, 0, 0))
SUFFIX_SINCE: dict[str, KernelVersion] = {",high": V_SUFFIX, ",low": V_SUFFIX, ",cma": V_CMA}
_SUFFIX_KIND: dict[str, Kind] = {",high": "high", ",low": "low", ",cma": "cma"}


@record
class Grammar:
    """What one kernel release's parser accepts."""

    legacy: bool  # before 2.6.24: word-start match, size@offset only
    suffixes: tuple[str, ...]  # suffixes get_last_crashkernel() skips
    strict_simple: bool  # junk after a simple size is EINVAL
    memparse_suffixes: str


def grammar_for(version: KernelVersion | None) -> Grammar:
    """The parser of ``version`` (None: the newest we know)."""
    if version is not None and version < V_RANGES:
        return Grammar(True, (), False, LEGACY_SUFFIXES)
    suffixes = tuple(s for s, since in SUFFIX_SINCE.items() if version is None or version >= since)
    strict = version is None or version >= V_SUFFIX
    return Grammar(False, suffixes, strict, ALL_SUFFIXES)


@record
class Range:
    """One ``start-[end]:size`` entry; ``end`` None is an open range (end = ULLONG_MAX)."""

    start: int
    end: int | None
    size: int

    def contains(self, total_mem: int) -> bool:
        """The kernel's match test ``total_mem >= start && total_mem < end``."""
        return total_mem >= self.start and total_mem < (MASK64 if self.end is None else self.end)

    def format(self) -> str:
        end = "" if self.end is None else _portable(self.end)
        return f"{_portable(self.start)}-{end}:{_portable(self.size)}"


@record
class CrashkernelSpec:
    """One ``crashkernel=`` token as written.

    Equality is semantic: ``raw``, the position fields and ``quirks`` describe
    the spelling and do not take part, so ``parse(spec.format()) == spec``.
    """

    raw: str = field(compare=False)  # the value, up to the next space
    kind: Kind
    size: int | None  # None for ranges (the size depends on RAM)
    offset: int | None  # the @offset as written; 0 (or bare "@") means automatic
    ranges: tuple[Range, ...]
    error: str | None  # why the kernel rejects it; None if well formed
    quirks: tuple[str, ...] = field(default=(), compare=False)
    start: int | None = field(default=None, compare=False)  # offset of "crashkernel=" in the cmdline
    container: str | None = field(default=None, compare=False)  # enclosing parameter if embedded
    after_dashes: bool = field(default=False, compare=False)  # found among init arguments

    @property
    def embedded(self) -> bool:
        """True if strstr() found it inside another parameter or after ``--``."""
        return self.container is not None or self.after_dashes

    def format(self) -> str:
        """The value spelled canonically (no ``crashkernel=`` prefix)."""
        if self.kind == "auto":
            return "auto"
        at = "" if self.offset is None else f"@{_portable(self.offset)}"
        if self.kind == "ranges":
            return ",".join(r.format() for r in self.ranges) + at
        size = _portable(self.size or 0)
        if self.kind == "simple":
            return size + at
        return f"{size},{self.kind}"

    def token(self) -> str:
        """``crashkernel=<value>`` spelled canonically."""
        return NAME + self.format()


def _portable(n: int) -> str:
    """A size every kernel's memparse reads: T/P/E arrived after 2.6.13."""
    return format_size(n, LEGACY_SUFFIXES)


# --- the kernel's parsers, on the value (text after "crashkernel=") --------


@record
class Parsed:
    """Outcome of one kernel parse: ``error`` set means -EINVAL."""

    size: int
    base: int
    error: str | None
    quirks: tuple[str, ...] = ()
    ranges: tuple[Range, ...] = ()
    matched: int | None = None  # index of the range that matched RAM


def cut_value(rest: str) -> str:
    """The value as the kernel bounds it: up to the first space (or NUL)."""
    for stop in (" ", "\0"):
        k = rest.find(stop)
        if k >= 0:
            rest = rest[:k]
    return rest


def parse_simple(v: str, g: Grammar) -> Parsed:
    """``parse_crashkernel_simple``: ``size[@offset]``."""
    size, cur = memparse(v, 0, g.memparse_suffixes)
    if cur == 0:
        return Parsed(0, 0, "memory value expected")
    if g.legacy:
        if not v.startswith("@", cur):
            return Parsed(size, 0, "kernels before 2.6.24 need size@offset: without '@' nothing is reserved")
        base, end = memparse(v, cur + 1, g.memparse_suffixes)
        return Parsed(size, base, None, _junk(v, end, "after the offset"))
    if v.startswith("@", cur):
        base, end = memparse(v, cur + 1, g.memparse_suffixes)
        quirks = _junk(v, end, "after the offset")
        if end == cur + 1:
            quirks += ("no number after '@': the kernel places the region itself",)
        return Parsed(size, base, None, quirks)
    if cur < len(v):
        if g.strict_simple:
            return Parsed(size, 0, f"unrecognized character {v[cur]!r} after the size")
        return Parsed(size, 0, None, _junk(v, cur, "after the size"))
    return Parsed(size, 0, None)


def _junk(v: str, pos: int, where: str) -> tuple[str, ...]:
    if pos < len(v):
        return (f"{v[pos:]!r} {where} is ignored by the kernel",)
    return ()


def round_up_128m(ram: int) -> int:
    """``roundup(total_mem, SZ_128M)`` from parse_crashkernel_mem (6.1, 6.12)."""
    step = 128 << 20
    return -(-ram // step) * step


def parse_ranges(v: str, g: Grammar, ram: int | None) -> Parsed:
    """``parse_crashkernel_mem``: scan entries until one matches ``ram``.

    With ``ram`` None nothing matches and every entry is checked, which is
    the strictest reading (and what a linter wants).
    """
    ms = g.memparse_suffixes
    total = None if ram is None else round_up_128m(ram)
    ranges: list[Range] = []
    cur = 0

    def fail(msg: str) -> Parsed:
        n = len(ranges) + 1
        later = " (the kernel only notices when no earlier range matches)" if ranges else ""
        return Parsed(0, 0, f"range {n}: {msg}{later}", (), tuple(ranges))

    while True:
        start, tmp = memparse(v, cur, ms)
        if tmp == cur:
            return fail("memory value expected")
        cur = tmp
        if not v.startswith("-", cur):
            return fail("'-' expected")
        cur += 1
        end: int | None = None
        if not v.startswith(":", cur):
            end, tmp = memparse(v, cur, ms)
            if tmp == cur:
                return fail("memory value expected")
            cur = tmp
            if end <= start:
                return fail("end <= start")
        if not v.startswith(":", cur):
            return fail("':' expected")
        cur += 1
        size, tmp = memparse(v, cur, ms)
        if tmp == cur:
            return fail("memory value expected")
        cur = tmp
        entry = Range(start, end, size)
        ranges.append(entry)
        if total is not None:
            if size >= total:
                return Parsed(0, 0, f"range {len(ranges)}: size {format_size(size)} >= RAM "
                              f"{format_size(total)} (invalid size)", (), tuple(ranges))
            if entry.contains(total):
                return _ranges_offset(v, cur, g, tuple(ranges), len(ranges) - 1, size)
        ended_by = v[cur : cur + 1]
        cur += 1
        if ended_by != ",":
            break
    if total is not None:
        return Parsed(0, 0, None, (), tuple(ranges))  # "size resulted in zero bytes"
    # Syntax-only scan: report the "@offset" a matching RAM size would see.
    return _ranges_offset(v, cur - 1, g, tuple(ranges), None, 0)


def _ranges_offset(v: str, cur: int, g: Grammar, ranges: tuple[Range, ...],
                   matched: int | None, size: int) -> Parsed:
    """The tail of parse_crashkernel_mem: skip to '@' or the end, read the base."""
    at = cur
    while at < len(v) and v[at] != "@":
        at += 1
    quirks = _junk(v[:at], cur, "before '@'") if at > cur else ()
    if at >= len(v):
        return Parsed(size, 0, None, quirks, ranges, matched)
    base, end = memparse(v, at + 1, g.memparse_suffixes)
    if end == at + 1:
        return Parsed(size, 0, "memory value expected after '@'", quirks, ranges, matched)
    return Parsed(size, base, None, quirks + _junk(v, end, "after the offset"), ranges, matched)


def parse_suffix(v: str, suffix: str, g: Grammar) -> Parsed:
    """``parse_crashkernel_suffix``: exactly ``size<suffix>``."""
    size, cur = memparse(v, 0, g.memparse_suffixes)
    if cur == 0:
        return Parsed(0, 0, "memory value expected")
    if not v.startswith(suffix, cur) or cur + len(suffix) != len(v):
        bad = v[cur] if cur < len(v) else "end"
        return Parsed(size, 0, f"unrecognized character {bad!r}: expected exactly size{suffix}")
    return Parsed(size, 0, None)


def parse_plain(v: str, g: Grammar, ram: int | None) -> Parsed:
    """``__parse_crashkernel`` without a suffix: ranges iff ':' is in the value."""
    if not g.legacy and ":" in v:
        return parse_ranges(v, g, ram)
    return parse_simple(v, g)


def written_kind(v: str) -> Kind:
    """The kind a reader sees in the spelling (newest grammar)."""
    for suffix, kind in _SUFFIX_KIND.items():
        if v.endswith(suffix):
            return kind
    if v == "auto":
        return "auto"
    return "ranges" if ":" in v else "simple"


_DECIMAL = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _numbers(v: str) -> list[tuple[int, int]]:
    """(start, end) of each number written in ``v``: ``0x`` and hex digits, or decimal digits."""
    found: list[tuple[int, int]] = []
    i, size = 0, len(v)
    while i < size:
        if v[i] not in _DECIMAL:
            i += 1
            continue
        start = i
        digits = _DECIMAL
        if v[i] == "0" and i + 2 < size and v[i + 1] in "xX" and v[i + 2] in _HEX_DIGITS:
            i, digits = i + 2, _HEX_DIGITS
        while i < size and v[i] in digits:
            i += 1
        found.append((start, i))
    return found


def number_quirks(v: str, g: Grammar) -> tuple[str, ...]:
    """Spellings that mean something else than a reader expects (catalogue B.num)."""
    quirks: list[str] = []
    for start, stop in _numbers(v):
        digits = v[start:stop]
        if start > 0 and v[start - 1].isalnum():
            continue  # inside a word such as a suffix name
        value, end = memparse(v, start, g.memparse_suffixes)
        if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xX":
            quirks.append(f"{v[start:end]} has a leading 0, so the kernel reads it as "
                          f"octal: {format_size(value)}")
        elif end == stop and 0 < value < (1 << 20):
            quirks.append(f"{digits} has no K/M/G suffix, so it means {digits} bytes")
    return tuple(quirks)


def parse_crashkernel_value(value: str, *, version: KernelVersion | None = None) -> CrashkernelSpec:
    """Parse the text after ``crashkernel=`` as ``version`` would. Never raises.

    ``version`` None means the newest kernel we know.  Range entries are all
    checked (as if no entry matched RAM); :func:`resolve_crashkernel` replays
    the lazy kernel scan against a real RAM size.
    """
    g = grammar_for(version)
    v = cut_value(value)
    spec = _parse_value(v, g)
    extra = number_quirks(v, g)
    return replace(spec, quirks=spec.quirks + extra) if extra else spec


def _parse_value(v: str, g: Grammar) -> CrashkernelSpec:
    kind = written_kind(v)
    if kind == "auto":
        return CrashkernelSpec(v, kind, None, None, (), "crashkernel=auto exists only in RHEL 8 and "
                               "older kernels; upstream Linux rejects it (memory value expected)")
    if kind in ("high", "low", "cma"):
        suffix = "," + kind
        if suffix in g.suffixes:
            p = parse_suffix(v, suffix, g)
            return CrashkernelSpec(v, kind, p.size, None, (), p.error, p.quirks)
        p = parse_plain(v, g, None)
        msg = (f"the {suffix} suffix needs Linux {SUFFIX_SINCE[suffix]} or later; this kernel reads "
               f"the token as a plain crashkernel= value" + (f" ({p.error})" if p.error else ""))
        size = None if ":" in v and not g.legacy else p.size
        return CrashkernelSpec(v, kind, size, None, p.ranges, msg, p.quirks)
    p = parse_plain(v, g, None)
    if kind == "ranges" and not g.legacy:
        offset = p.base if "@" in v and p.error is None else None
        return CrashkernelSpec(v, kind, None, offset, p.ranges, p.error, p.quirks)
    size_end = memparse(v, 0, g.memparse_suffixes)[1]
    offset = p.base if size_end > 0 and v.startswith("@", size_end) else None
    return CrashkernelSpec(v, "simple", p.size, offset, (), p.error, p.quirks)
