"""Kernel ``memparse()`` numbers: ``simple_strtoull`` base 0 plus a size suffix.

Why not ``int()``: the kernel reads ``0100M`` as OCTAL (64M), ``128`` as 128
bytes, wraps silently at 2**64, accepts a lone suffix (``M`` is 0 with the
cursor moved, so callers' "value expected" checks pass) and stops at the first
character that is not a digit of the base.  Users get bitten by each of these,
so we reproduce them exactly.

Sources: lib/kstrtox.c ``_parse_integer_fixup_radix``/``_parse_integer_limit``
and lib/cmdline.c ``memparse`` (6.1, 6.12: suffixes K M G T P E, either case,
each a further ``<<= 10``).  2.6.13's memparse knew only K, M and G
(lib/cmdline.c of that era; the version that added T, P and E is unverified).
"""

from __future__ import annotations

MASK64 = (1 << 64) - 1

SUFFIX_SHIFT: dict[str, int] = {"K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}
ALL_SUFFIXES = "KMGTPE"
LEGACY_SUFFIXES = "KMG"

#: The digits of each base (ASCII only, as the kernel's _parse_integer reads them).
_DIGITS = {8: frozenset("01234567"), 10: frozenset("0123456789"), 16: frozenset("0123456789abcdefABCDEF")}
_HEX = _DIGITS[16]
_CHUNK = 256  # digits per int() call: keeps huge inputs linear and under int's digit limit


def _fold(digits: str, base: int) -> int:
    """``digits`` in ``base`` modulo 2**64, as the kernel's wrapping loop computes it."""
    value = 0
    for pos in range(0, len(digits), _CHUNK):
        chunk = digits[pos : pos + _CHUNK]
        value = (value * pow(base, len(chunk), 1 << 64) + int(chunk, base)) & MASK64
    return value


def strtoull(text: str, pos: int = 0) -> tuple[int, int]:
    """``simple_strtoull(text + pos, &end, 0)``: returns ``(value, end)``.

    ``end == pos`` means no digit was read.  No sign and no leading
    whitespace are accepted, as in the kernel.
    """
    base = 10
    start = pos
    if text.startswith("0", pos):
        if pos + 2 < len(text) and text[pos + 1] in "xX" and text[pos + 2] in _HEX:
            base = 16
            start = pos + 2
        else:
            base = 8
    end, allowed = start, _DIGITS[base]
    while end < len(text) and text[end] in allowed:  # a scan: compiling three patterns cost more
        end += 1
    if end == start:
        return 0, pos
    return _fold(text[start:end], base), end


def memparse(text: str, pos: int = 0, suffixes: str = ALL_SUFFIXES) -> tuple[int, int]:
    """Kernel ``memparse(text + pos, &end)``: returns ``(value, end)``.

    A suffix is consumed even when no digit precedes it (the kernel then
    returns 0 with ``end`` past the suffix).
    """
    value, end = strtoull(text, pos)
    if end < len(text):
        suffix = text[end].upper()
        if suffix in SUFFIX_SHIFT and suffix in suffixes:
            value = (value << SUFFIX_SHIFT[suffix]) & MASK64
            end += 1
    return value, end


def format_size(n: int, suffixes: str | tuple[str, ...] = ALL_SUFFIXES) -> str:
    """Shortest exact memparse spelling: 67108864 -> ``64M``, 1000 -> ``1000``.

    Never produces a leading zero (which the kernel would read as octal).
    ``suffixes`` limits the spelling, e.g. to K/M/G, which every kernel reads.
    """
    if n < 0:
        raise ValueError(f"negative size {n}")
    if n == 0:
        return "0"
    for suffix in reversed(suffixes):
        shift = SUFFIX_SHIFT[suffix]
        if n % (1 << shift) == 0:
            return f"{n >> shift}{suffix}"
    return str(n)
