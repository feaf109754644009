"""Finding ``crashkernel=`` tokens the way the kernel's search does.

``get_last_crashkernel()`` (kernel/crash_core.c 6.1, kernel/crash_reserve.c
6.12) runs ``strstr(p + 1, "crashkernel=")`` over the whole command line, so
matches inside other parameters' values, in quotes, after ``--`` and even
overlapping ones all count; each value ends at the next ``' '``.  2.6.13
(arch/i386/kernel/setup.c ``parse_cmdline_early``) instead looked only at the
start of each space-separated word.
"""

from __future__ import annotations

from bisect import bisect_right

from kcheck.domain.cmdline import Cmdline, parse_cmdline
from kcheck.domain.crashkernel_syntax import (
    NAME,
    CrashkernelSpec,
    Grammar,
    cut_value,
    grammar_for,
    parse_crashkernel_value,
)
from kcheck.domain.records import record, replace
from kcheck.domain.version import KernelVersion


@record
class Hit:
    """One strstr() match: ``p`` is where "crashkernel=" starts.

    ``word_end`` is the next space (the kernel's end of the value); ``next_hit``
    is a later match before that space.  Such an earlier match can never be
    the one used (the later one has the same end, hence the same suffix, and
    wins), so its value is only examined up to ``next_hit``: that keeps a line
    of back-to-back "crashkernel=" linear to analyse.
    """

    p: int
    word_end: int
    next_hit: int | None


def scan(text: str, g: Grammar) -> list[Hit]:
    """Every "crashkernel=" the kernel's search would visit, in one pass."""
    nul = text.find("\0")
    if nul >= 0:
        text = text[:nul]
    found: list[int] = []
    p = text.find(NAME)
    while p >= 0:
        # 2.6.13 parse_cmdline_early looked only where the previous char was ' '.
        if not g.legacy or p == 0 or text[p - 1] == " ":
            found.append(p)
        p = text.find(NAME, p + 1)
    result: list[Hit] = []
    space = -1
    for i, p in enumerate(found):
        if space < p:
            space = text.find(" ", p)
            if space < 0:
                space = len(text)
        nxt = found[i + 1] if i + 1 < len(found) and found[i + 1] < space else None
        result.append(Hit(p, space, nxt))
    return result


def hits(text: str, g: Grammar) -> list[int]:
    """Offsets of every "crashkernel=" the kernel's search would visit."""
    return [h.p for h in scan(text, g)]


def token_value(text: str, p: int) -> str:
    """The value of the hit at ``p``: up to the next space."""
    end = text.find(" ", p)
    return cut_value(text[p + len(NAME) : end if end >= 0 else len(text)])


def last_token(text: str, suffix: str | None, g: Grammar) -> int | None:
    """``get_last_crashkernel``: the last hit with (or without) ``suffix``."""
    chosen = None
    for h in scan(text, g):
        tail = text[max(h.p, h.word_end - 5) : h.word_end]  # suffixes are at most 5 chars
        if suffix is None:
            if not any(tail.endswith(s) for s in g.suffixes):
                chosen = h.p
        elif tail.endswith(suffix):
            chosen = h.p
    return chosen


def find_crashkernel(cmdline_text: str, *, version: KernelVersion | None = None,
                     parsed: Cmdline | None = None) -> tuple[CrashkernelSpec, ...]:
    """Every ``crashkernel=`` the kernel's search sees, in order. Never raises.

    ``parsed``: the same line already tokenised (the set-up's), so it is not
    tokenised again.
    """
    g = grammar_for(version)
    nul = cmdline_text.find("\0")
    text = cmdline_text if nul < 0 else cmdline_text[:nul]
    if parsed is None or parsed.text.partition("\0")[0] != text:
        parsed = parse_cmdline(text)
    starts = [param.start for param in parsed.params]
    specs: list[CrashkernelSpec] = []
    for h in scan(text, g):
        p = h.p
        value = text[p + len(NAME) : h.word_end if h.next_hit is None else h.next_hit + len(NAME)]
        spec = parse_crashkernel_value(value, version=version)
        quirks = spec.quirks
        if h.next_hit is not None:
            quirks += ("runs into a later crashkernel= in the same word, which wins "
                       "(value shown up to there)",)
        container = None
        after = parsed.init_start is not None and p >= parsed.init_start
        k = bisect_right(starts, p) - 1
        if k >= 0 and p < parsed.params[k].end:
            param = parsed.params[k]
            name_start = param.start + (1 if text[param.start] == '"' else 0)
            if p != name_start:
                container = param.name
                quirks += (f"found inside parameter {param.name!r}: the kernel's strstr() "
                           "search uses it anyway",)
        if after:
            quirks += ("found after '--' (an init argument): the kernel's strstr() search uses it anyway",)
        specs.append(replace(spec, quirks=quirks, start=p, container=container, after_dashes=after))
    return tuple(specs)
