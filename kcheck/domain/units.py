"""Numbers as kernel configs and rule files write them.

``0x1000000``, ``16777216``, ``16M``: ``parse_number`` accepts what kconfig
hex/int symbols and memparse-style sizes use, without memparse's octal (the
boot line's numbers go through :mod:`kcheck.domain.memparse`, which also
formats sizes).
"""

from __future__ import annotations

_SUFFIX = {"k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}


def parse_number(text: str) -> int:
    """``0x...``, decimal or a size with a K/M/G/T/P/E suffix; ValueError otherwise."""
    text = text.strip()
    shift = 0
    if text and text[-1].lower() in _SUFFIX:
        shift = _SUFFIX[text[-1].lower()]
        text = text[:-1]
    if text.lower().startswith("0x"):
        value = int(text[2:], 16)
    else:
        value = int(text, 10)
    if value < 0:
        raise ValueError("negative")
    return value << shift


def format_hex(value: int) -> str:
    return f"{value:#x}"


def human_size(value: int) -> str:
    """A short size for people (``63.6M``), not for parsing."""
    for unit, shift in (("E", 60), ("P", 50), ("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if value >= 1 << shift:
            return f"{value / (1 << shift):.1f}{unit}".replace(f".0{unit}", unit)
    return f"{value}B"
