"""Searching byte streams chunk by chunk.

Banners and IKCONFIG markers are found in streams (file ranges, decompressed
payloads) that are never held whole in memory; a match may straddle two
chunks, so each search keeps a tail of the previous chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# init/version-timestamp.c: "Linux version " UTS_RELEASE " (" ... ")\n".
# Requiring a digit skips printk formats such as "Linux version %s".
BANNER_RE = re.compile(rb"Linux version (\d+\.\d+[^\x00\n]{0,400})")
_BANNER_MAX = 420


def find_banner(chunks: Iterable[bytes]) -> str | None:
    """The first ``Linux version X.Y...`` string in ``chunks``, without the newline."""
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        match = BANNER_RE.search(window)
        # A match that reaches the window's end may continue in the next chunk.
        if match and (match.end() < len(window) or len(match.group(0)) >= _BANNER_MAX):
            return match.group(0).decode("ascii", "replace")
        tail = window[-_BANNER_MAX:] if not match else window[match.start() :]
    if tail:
        match = BANNER_RE.search(tail)
        if match:
            return match.group(0).decode("ascii", "replace")
    return None


def release_of(version: str | None) -> str | None:
    """The release word of a version string: ``6.1.0-56-amd64``.

    Accepts both the full banner ("Linux version 6.1.0-56-amd64 (...") and
    the bzImage kernel_version string ("6.1.0-56-amd64 (...").
    """
    if not version:
        return None
    text = version.removeprefix("Linux version ").strip()
    word = text.split(" ", 1)[0]
    return word if re.match(r"\d+\.\d+", word) else None


def find_bytes(chunks: Iterable[bytes], needle: bytes) -> tuple[int, bytes] | None:
    """Find ``needle``; return (absolute offset, the rest of its chunk from it)."""
    tail = b""
    base = 0  # absolute offset of window[0]
    for chunk in chunks:
        window = tail + chunk
        pos = window.find(needle)
        if pos >= 0:
            return base + pos, window[pos:]
        keep = min(len(needle) - 1, len(window))
        tail = window[len(window) - keep :] if keep else b""
        base += len(window) - len(tail)
    return None
