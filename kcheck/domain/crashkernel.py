"""What a kernel will reserve for ``crashkernel=``: version- and arch-aware.

Syntax (finding and parsing tokens) lives in :mod:`crashkernel_syntax`; this
module replays each architecture's ``reserve_crashkernel`` decision logic on
top of it, because the same command line reserves different things on
different kernels (catalogue B.prec, B.low, B.cma, B.2613, B.612).

Arch models, and where each fact comes from:

* ``x86_old`` (x86, 3.9 <= v < 6.7): a valid non-zero plain token wins;
  ``,high`` only if plain is absent, invalid or zero; the low region is sized
  by ``,low`` (an invalid ``,low`` falls back to the default) whenever the main
  region lands above 4G.  Verified in arch/x86/kernel/setup.c of 6.1 and ~5.10.
* ``generic`` (x86, arm64, riscv64 from 6.7): ``,high`` only if no plain
  token exists; an invalid plain token reserves nothing; ``,low`` only with
  ``,high``; ``,cma`` on x86 from 6.17.  Verified in kernel/crash_reserve.c
  (6.12 and current master).  The 6.7 switch-over version is unverified
  (Baoquan He's "generic crashkernel reservation" series; 6.1 is verified old).
* ``arm64_old`` (arm64 5.19 <= v < 6.7): precedence as generic, default low 0
  until 6.1 (catalogue A64) and 128M after (6.2: unverified).  The 5.19
  start is unverified (Zhen Lei's series "support reserving crashkernel above 4G").
* ``plain``: everything else (ppc64, s390x, arm, older kernels): only the
  plain token counts.
* legacy (< 2.6.24): 2.6.13 i386/x86_64 setup.c, verified: ``size@offset``,
  last word-start token that has ``@`` wins, no sanity check ("FIXME").
"""

from __future__ import annotations

from kcheck.domain import arch as arches
from kcheck.domain.cmdline import Cmdline, parse_cmdline
from kcheck.domain.memory import PAGE_SIZE
from kcheck.domain.crashkernel_find import (
    find_crashkernel,
    last_token,
    scan,
    token_value,
)
from kcheck.domain.crashkernel_syntax import (
    NAME,
    V_CMA,
    CrashkernelSpec,
    Grammar,
    Parsed,
    Range,
    grammar_for,
    parse_crashkernel_value,
    parse_plain,
    parse_suffix,
    round_up_128m,
)
from kcheck.domain.memparse import format_size, strtoull
from kcheck.domain.records import record
from kcheck.domain.version import KernelVersion

__all__ = [
    "CrashkernelSpec", "Range", "Reservation", "find_crashkernel", "format_size",
    "normalize_arch", "offset_alignment", "parse_crashkernel_value", "resolve_crashkernel",
]

def _v(text: str) -> KernelVersion:
    version = KernelVersion.parse(text)
    assert version is not None
    return version


V_GENERIC = _v("6.7")  # unverified switch-over; 6.1 old (verified), 6.12 generic (verified)
V_X86_AUTO_BASE = _v("2.6.27")  # "x86: Find offset for crashkernel reservation automatically" (2008-06; unverified tag)
V_SIZE_GE_RAM = _v("6.12")  # parse_crashkernel rejects size >= RAM (present in 6.12; first release unverified)
HIGH_SINCE = {"x86_64": _v("3.9"), "i386": _v("3.9"), "arm64": _v("5.19"), "riscv64": _v("6.5")}
CMA_ARCHES = ("x86_64", "i386")  # x86 only in the 6.17 series; other arches unverified
GIB4 = 1 << 32
NEWEST = KernelVersion((999, 0, 0, 0))  # stands for "the newest kernel" (version None)


def normalize_arch(arch: str | None) -> str | None:
    """kcheck's name for ``arch`` (amd64, aarch64, ... : :mod:`kcheck.domain.arch`'s one table).

    A name it does not know is kept (lower-cased): it reserves by the plain rules.
    """
    if arch is None:
        return None
    return arches.canonical(arch) or arch.strip().lower()


@record
class Reservation:
    """What the kernel will actually reserve, and why not when it won't.

    ``size`` 0 means nothing is reserved; None means it depends on a RAM size
    we were not given (range syntax).  ``offset`` None means the kernel picks
    the place.  ``low_size`` is the extra region below 4G (or the DMA limit)
    that the kernel adds when the main region lands above it.
    """

    size: int | None
    offset: int | None
    low_size: int | None
    high: bool
    cma_size: int | None
    used_token: CrashkernelSpec | None
    problems: tuple[str, ...]
    tokens: tuple[CrashkernelSpec, ...] = ()

    @property
    def reserved(self) -> bool | None:
        """True/False when known; None when it depends on unknown RAM."""
        return None if self.size is None else self.size > 0


def _model(arch: str | None, version: KernelVersion | None) -> str:
    """Which reservation logic (see the module docstring) ``arch``/``version`` runs."""
    if arch is None:
        return "generic"
    if version is None:
        version = NEWEST
    if arch in ("x86_64", "i386"):
        if version >= V_GENERIC:
            return "generic"
        return "x86_old" if version >= HIGH_SINCE[arch] else "plain"
    if arch == "arm64":
        if version >= V_GENERIC:
            return "generic"
        return "arm64_old" if version >= HIGH_SINCE[arch] else "plain"
    if arch == "riscv64" and version >= HIGH_SINCE[arch]:
        return "generic"
    return "plain"


def _default_low(arch: str | None, version: KernelVersion | None, parsed: Cmdline) -> int | None:
    """Low region size used when no ``,low`` is given (catalogue B.low)."""
    if arch == "i386":
        return None  # reserve_crashkernel_low() is CONFIG_X86_64 only (6.1 setup.c)
    if arch in ("x86_64", None):
        # 6.1 setup.c: max(swiotlb_size_or_default() + 8M, 256M); swiotlb= counts 2K slabs.
        swiotlb = 64 << 20
        value = parsed.get("swiotlb")
        if value:
            slabs, end = strtoull(value)
            if end:  # kernel/dma/swiotlb.c: ALIGN(slabs, IO_TLB_SEGSIZE) slabs of 2K
                swiotlb = (-(-slabs // 128) * 128) << 11
        return max(swiotlb + (8 << 20), 256 << 20)
    if arch == "arm64" and version is not None and version < _v("6.2"):
        return None  # 5.19-6.1: no default low region
    return 128 << 20  # generic DEFAULT_CRASH_KERNEL_LOW_SIZE (arm64, riscv64)


class _Resolver:
    """Collects problems while replaying one kernel's decisions."""

    def __init__(self, text: str, version: KernelVersion | None, arch: str | None, memory: int | None,
                 parsed: Cmdline):
        self.text, self.version, self.arch, self.memory, self.parsed = text, version, arch, memory, parsed
        self.g: Grammar = grammar_for(version)
        self.tokens = find_crashkernel(text, version=version, parsed=parsed)
        self.problems: list[str] = []
        self.by_start = {t.start: t for t in self.tokens}
        self.word_end = {h.p: h.word_end for h in scan(text, self.g)}
        self.kernel = f"Linux {version}" if version is not None else "current Linux"

    def spec(self, p: int | None) -> CrashkernelSpec | None:
        return None if p is None else self.by_start.get(p)

    def label(self, p: int) -> str:
        return NAME + token_value(self.text, p)

    def nothing(self, used: int | None, why: str) -> Reservation:
        self.problems.append(f"{why}: nothing is reserved")
        return self.done(0, None, None, False, None, used)

    def done(self, size: int | None, base: int | None, low: int | None, high: bool,
             cma: int | None, used: int | None, *, literal_base: bool = False) -> Reservation:
        spec = self.spec(used)
        if spec is not None:
            self.problems[:0] = list(spec.quirks)
            group = self.group(spec)
            ignored = [t for t in self.tokens if t.start != used and self.group(t) == group]
            for t in ignored[:5]:
                self.problems.append(f"{NAME}{t.raw} is ignored: the last one wins")
            if len(ignored) > 5:
                self.problems.append(f"{len(ignored) - 5} more crashkernel= tokens are ignored")
        # From 2.6.27 a base of 0 asks the kernel to choose; before, 0 is an address.
        offset = base if literal_base else (base or None)
        return Reservation(size, offset, low, high, cma, spec, tuple(self.problems), self.tokens)

    def group(self, spec: CrashkernelSpec) -> str:
        """Which get_last_crashkernel() search sees this token."""
        start = spec.start or 0
        end = self.word_end.get(start, start)
        tail = self.text[max(start, end - 5) : end]
        return next((s for s in self.g.suffixes if tail.endswith(s)), "plain")

    def plain(self, p: int) -> Parsed | None:
        """Parse the plain token at ``p``; None if RAM is needed but unknown."""
        value = token_value(self.text, p)
        if self.memory is None and ":" in value:
            return None
        return parse_plain(value, self.g, self.memory)

    def check_ram(self, size: int, used: int | None) -> str | None:
        if self.memory is None or size < self.memory:
            return None
        if self.version is None or self.version >= V_SIZE_GE_RAM:
            return f"{self.label(used or 0)}: size {format_size(size)} >= RAM {format_size(self.memory)} (EINVAL)"
        return f"{self.label(used or 0)}: size {format_size(size)} does not fit in RAM {format_size(self.memory)}"


def resolve_crashkernel(cmdline_text: str, *, version: KernelVersion | None, arch: str | None,
                        memory: int | None, parsed: Cmdline | None = None) -> Reservation | None:
    """Replay the kernel's crashkernel= handling. None if there is no token at all.

    ``version`` None means the newest kernel; ``arch`` None means the generic
    (6.7+) rules; ``memory`` is system RAM in bytes as the kernel counts it
    (memblock size; /proc/iomem "System RAM" is a close estimate).  ``parsed``:
    the same line already tokenised, so it is not tokenised again.  Never raises.
    """
    arch = normalize_arch(arch)
    nul = cmdline_text.find("\0")
    text = cmdline_text if nul < 0 else cmdline_text[:nul]
    if parsed is None or parsed.text.partition("\0")[0] != text:
        parsed = parse_cmdline(text)
    r = _Resolver(text, version, arch, memory, parsed)
    if not r.tokens:
        return None
    if r.g.legacy:
        return _resolve_legacy(r)
    model = _model(arch, version)
    plain_p = last_token(text, None, r.g)
    plain = None if plain_p is None else r.plain(plain_p)
    if plain_p is not None and plain is None:
        r.problems.append(f"{r.label(plain_p)}: the size depends on RAM, which is unknown")
        return r.done(None, None, None, False, None, plain_p)
    usable = plain is not None and plain.error is None and plain.size > 0
    if plain_p is not None and not usable:
        assert plain is not None
        spec = r.spec(plain_p)
        if plain.error:
            why = plain.error if plain.ranges or spec is None or spec.error is None else spec.error
            r.problems.append(f"{r.label(plain_p)}: {why} (EINVAL)")
        elif plain.ranges and plain.matched is None:
            r.problems.append(f"{r.label(plain_p)}: no range matches "
                              f"{format_size(round_up_128m(memory or 0))} of RAM")
        else:
            r.problems.append(f"{r.label(plain_p)}: the size is 0")
    high_ok = model in ("x86_old", "generic", "arm64_old")
    use_high = high_ok and (plain_p is None if model != "x86_old" else not usable)
    if not usable and not use_high:
        if plain_p is None:
            why = "no plain crashkernel=size token"
            if not high_ok and last_token(text, ",high", r.g) is not None:
                why += f" (,high/,low are not supported on {arch} in {r.kernel})"
            return r.nothing(None, why)
        return r.nothing(plain_p, f"{r.label(plain_p)} is not usable and {r.kernel} does not fall back to ,high")
    high = False
    used = plain_p
    size, base = (plain.size, plain.base) if usable and plain is not None else (0, 0)
    if not usable:
        high_p = last_token(text, ",high", r.g)
        if high_p is None:
            return r.nothing(plain_p, "no usable crashkernel=size and no crashkernel=size,high")
        hp = parse_suffix(token_value(text, high_p), ",high", r.g)
        if hp.error or hp.size == 0:
            return r.nothing(high_p, f"{r.label(high_p)}: {hp.error or 'the size is 0'}")
        high, used, size, base = True, high_p, hp.size, 0
    low = _low(r, model, high, base)
    if isinstance(low, str):
        return r.nothing(used, low)
    cma = _cma(r, model)
    problem = r.check_ram(size, used)
    if problem:
        return r.nothing(used, problem)
    return r.done(size, base, low, high, cma, used)


def _low(r: _Resolver, model: str, high: bool, base: int) -> int | None | str:
    """The low region size, or a string explaining an EINVAL."""
    text, g = r.text, r.g
    low_p = last_token(text, ",low", g)
    lp = None if low_p is None else parse_suffix(token_value(text, low_p), ",low", g)
    default = _default_low(r.arch, r.version, r.parsed)
    if model == "x86_old":
        if r.arch == "i386" or (base and base < GIB4):
            return None
        if lp is None or lp.error:
            if lp is not None and low_p is not None:
                r.problems.append(f"{r.label(low_p)}: {lp.error}; the default low size is used")
            return default
        if lp.size == 0:
            r.problems.append(f"{r.label(low_p or 0)}: no low region, so 32-bit DMA and swiotlb "
                              "in the capture kernel may fail")
            return None
        return lp.size
    if model in ("generic", "arm64_old"):
        if not high:
            if low_p is not None:
                r.problems.append(f"{r.label(low_p)} is ignored: ,low only applies together "
                                  "with crashkernel=size,high")
            return None if base else default
        if lp is None:
            return default
        if lp.error:
            return f"{r.label(low_p or 0)}: {lp.error} (EINVAL)"
        if lp.size == 0:
            r.problems.append(f"{r.label(low_p or 0)}: no low region, so DMA in the capture kernel may fail")
            return None
        return lp.size
    if low_p is not None:
        r.problems.append(f"{r.label(low_p)} is ignored: ,low is not supported on {r.arch} in {r.kernel}")
    return None


def _cma(r: _Resolver, model: str) -> int | None:
    """The ``,cma`` size (6.17+, x86), with problems for ignored tokens."""
    cma_tokens = [t for t in r.tokens if t.kind == "cma"]
    if not cma_tokens:
        return None
    if r.version is not None and r.version < V_CMA:
        return None  # the token was a plain token: handled (and reported) as such
    if model != "generic" or r.arch not in CMA_ARCHES + (None,):
        r.problems.append(f"crashkernel=...,cma is ignored: not supported on {r.arch} (unverified)")
        return None
    cma_p = last_token(r.text, ",cma", r.g)
    if cma_p is None:
        return None
    cp = parse_suffix(token_value(r.text, cma_p), ",cma", r.g)
    if cp.error:
        # parse_crashkernel() ignores the return value; memparse already stored the size.
        r.problems.append(f"{r.label(cma_p)}: {cp.error}; the kernel uses the number anyway")
    r.problems.append(f"{format_size(cp.size)} of CMA memory is missing from the dump (pages in "
                      "CMA are not preserved)" if cp.size else f"{r.label(cma_p)}: size 0, no CMA")
    return cp.size or None


def _resolve_legacy(r: _Resolver) -> Reservation:
    """2.6.13-2.6.23: every word-start token with '@' overwrites crashk_res."""
    mask = (1 << 32) - 1 if r.arch in ("i386", "arm", "ppc") else (1 << 64) - 1  # unsigned long
    chosen = None
    size = base = 0
    for t in r.tokens:
        if t.error is None and t.offset is not None:
            chosen, size, base = t.start, (t.size or 0) & mask, t.offset & mask
    if r.arch not in ("i386", "x86_64", None):
        r.problems.append(f"pre-2.6.24 handling verified for i386/x86_64 only, not {r.arch}")
    if chosen is None:
        return r.nothing(r.tokens[-1].start, "kernels before 2.6.24 reserve only for crashkernel=size@offset")
    if size <= 1:
        return r.nothing(chosen, f"{r.label(chosen)}: size {size}")
    problem = r.check_ram(size, chosen)
    if problem:
        return r.nothing(chosen, problem)
    r.problems.append("kernels before 2.6.24 do not check the region (\"FIXME\" in setup.c)")
    return r.done(size, base, None, False, None, chosen, literal_base=True)


def offset_alignment(arch: str | None, version: KernelVersion | None, *, arm_lpae: bool = False,
                     page_size: int = PAGE_SIZE) -> int | None:
    """Alignment an explicit ``@offset`` needs, or None if the kernel checks none.

    x86: 2.6.13 none ("FIXME", verified); 1M via memblock_phys_alloc_range(size,
    SZ_1M, base, base+size) in 6.1 (verified; back to 2.6.24 unverified); 16M
    (CRASH_ALIGN) in the generic code from 6.7 (6.12 verified).  arm64: 2M
    (CRASH_ALIGN / "boot protocol requires 2MB alignment").  riscv64: PMD_SIZE
    2M.  arm: SECTION_SIZE, 1M or 2M with LPAE (catalogue ARM).  ppc64: page
    aligned (catalogue PPC; pass the kernel's page size, often 64K).  s390x:
    1M, which the kernel rounds up to rather than rejecting (catalogue S390).
    """
    arch = normalize_arch(arch)
    if arch in ("i386", "x86_64"):
        if version is not None and version < _v("2.6.24"):
            return None
        return (16 << 20) if version is None or version >= V_GENERIC else (1 << 20)
    if arch in ("arm64", "riscv64"):
        return 2 << 20
    if arch == "arm":
        return (2 if arm_lpae else 1) << 20
    if arch in ("ppc64", "ppc64le"):
        return page_size
    if arch == "s390x":
        return 1 << 20
    return None

