"""Kernel versions and version ranges.

Rules say which kernels they concern with ranges such as ``">=2.6.13, <2.6.20"``.
Versions compare as integer tuples, so ``2.6.9 < 2.6.13`` and ``6.1 == 6.1.0``.
Suffixes (``-rc1``, ``-amd64``, ``+``) are ignored on purpose: a backported
``6.1.0-56-amd64`` is a 6.1 kernel for every rule we have.
"""

from __future__ import annotations

import re

from kcheck.domain.records import record

# Only rule compilation reads ranges (a check loads them compiled from the cache): compiled on first use.
_CONSTRAINT = r"\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*"


def _leading_numbers(text: str) -> list[int]:
    """The up to four dot-separated decimal numbers ``text`` starts with (``6.1.0-56`` -> 6, 1, 0).

    A scan, not a regular expression: every check parses a version, and
    compiling the expression cost more than all the parsing.
    """
    parts: list[int] = []
    i, end = 0, len(text)
    while len(parts) < 4:
        start = i
        while i < end and text[i].isdecimal():
            i += 1
        if i == start:
            break
        parts.append(int(text[start:i]))
        if not (i + 1 < end and text[i] == "." and text[i + 1].isdecimal()):
            break
        i += 1
    return parts


@record
class KernelVersion:
    """A kernel release as ``(major, minor, patch, sublevel)``; missing parts are 0."""

    parts: tuple[int, int, int, int]

    def __lt__(self, other: KernelVersion) -> bool:
        return self.parts < other.parts

    def __le__(self, other: KernelVersion) -> bool:
        return self.parts <= other.parts

    def __gt__(self, other: KernelVersion) -> bool:
        return self.parts > other.parts

    def __ge__(self, other: KernelVersion) -> bool:
        return self.parts >= other.parts

    @classmethod
    def parse(cls, text: str) -> KernelVersion | None:
        """Read the leading ``X.Y[.Z[.W]]`` of a release string, or None."""
        parts = _leading_numbers(text.strip())
        if len(parts) < 2:
            return None
        parts += [0] * (4 - len(parts))
        return cls((parts[0], parts[1], parts[2], parts[3]))

    def __str__(self) -> str:
        parts = list(self.parts)
        while len(parts) > 2 and parts[-1] == 0:
            parts.pop()
        return ".".join(str(p) for p in parts)


_OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


@record
class VersionRange:
    """A conjunction of comparisons, e.g. ``>=2.6.13, <2.6.20``; empty means all."""

    text: str
    constraints: tuple[tuple[str, KernelVersion], ...]

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        """Parse a comma-separated range; raise ValueError naming the bad part."""
        constraints: list[tuple[str, KernelVersion]] = []
        for part in text.split(","):
            if not part.strip():
                continue
            match = re.fullmatch(_CONSTRAINT, part)
            version = KernelVersion.parse(match.group(2)) if match else None
            if not match or version is None:
                raise ValueError(f"bad version constraint {part.strip()!r}")
            constraints.append((match.group(1), version))
        return cls(text, tuple(constraints))

    def contains(self, version: KernelVersion) -> bool:
        """True when ``version`` satisfies every constraint."""
        return all(_OPS[op](version, bound) for op, bound in self.constraints)

    @property
    def unbounded(self) -> bool:
        """True when the range names no version (it applies to every kernel)."""
        return not self.constraints
