"""A rule's ``message`` and ``fix`` templates: ``{fact.path}`` and ``{fact.path|hex}``.

Templates are parsed when a rule file is loaded, so a typo is a rule error
at once, not text that reads "not set" (or a fix that writes ``x="not
set"`` into a command line) when the rule first fails: an unbalanced ``{``
or ``}``, an empty field, a filter other than ``hex`` and ``size``, more than
:data:`MAX_FIELDS` fields.  Rendering is bounded: each value in a message is
abbreviated (kcheck.domain.text) and a message stops at
:data:`MESSAGE_LIMIT` characters; a fix, whose text must be exact, that
would render to more than :data:`FIX_LIMIT` is a rule error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from kcheck.facts.catalogue import known as known_fact

FILTERS = ("hex", "size")
MAX_FIELDS = 64
MESSAGE_LIMIT = 4096
FIX_LIMIT = 64 * 1024

_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_PATH = _WORD | frozenset(".-")

Field = tuple[str, "str | None"]


def _next_brace(text: str, start: int) -> int:
    """The index of the first ``{`` or ``}`` at or after ``start``, or -1.

    A scan rather than a regular expression: rendering a message is all a
    check needs of this module, and compiling the expressions cost more.
    """
    opening, closing = text.find("{", start), text.find("}", start)
    return closing if opening < 0 else opening if closing < 0 else min(opening, closing)


@functools.lru_cache(maxsize=4096)
def parse(template: str) -> tuple[tuple[str, ...], tuple[Field, ...]]:
    """The literal pieces and the fields between them (one more piece than fields).

    Raises ValueError naming what is wrong and where (character offset).
    """
    pieces: list[str] = []
    fields: list[Field] = []
    start = 0
    while True:
        opening = _next_brace(template, start)
        if opening < 0:
            break
        if template[opening] == "}":
            raise ValueError(f"unbalanced '}}' at character {opening} of {_quote(template)}")
        closing = _next_brace(template, opening + 1)
        if closing < 0 or template[closing] == "{":
            raise ValueError(f"unbalanced '{{' at character {opening} of {_quote(template)}")
        body = template[opening + 1:closing]
        path, bar, style = body.partition("|")
        if not (path and path[0] in _WORD and _PATH.issuperset(path) and _WORD.issuperset(style)):
            raise ValueError(f"{{{body}}} at character {opening} is not a fact path "
                             f"(such as {{boot.crashkernel.size|size}})")
        if bar and style not in FILTERS:
            raise ValueError(f"unknown filter {style!r} in {{{body}}} (filters: {', '.join(FILTERS)})")
        if len(fields) == MAX_FIELDS:
            raise ValueError(f"more than {MAX_FIELDS} fields in {_quote(template)}")
        pieces.append(template[start:opening])
        fields.append((path, style if bar else None))
        start = closing + 1
    pieces.append(template[start:])
    return tuple(pieces), tuple(fields)


def paths(template: str) -> list[str]:
    """The fact paths a template names (for checking them when the rule is loaded)."""
    return [path for path, _ in parse(template)[1]]


def render(template: str, value: Callable[[str, str | None], str], *, limit: int, cut: bool) -> str:
    """Fill the fields with ``value(path, filter)``.  Past ``limit`` characters, ``cut``
    ends the text there with a mark; otherwise :class:`TooLong` is raised."""
    pieces, fields = parse(template)
    out = [pieces[0]]
    size = len(pieces[0])
    for (path, style), after in zip(fields, pieces[1:]):
        text = value(path, style)
        out.append(text)
        out.append(after)
        size += len(text) + len(after)
        if size > limit:
            if not cut:
                raise TooLong(size)
            return "".join(out)[:limit] + f"... [cut at {limit} characters]"
    return "".join(out)


class TooLong(Exception):
    """A rendered template passed its limit; ``args[0]`` is the size reached."""


def _quote(template: str) -> str:
    return repr(template if len(template) <= 60 else template[:57] + "...")


def check_fact_paths(predicate_paths: list[str], templates: list[tuple[str, str, str]]) -> None:
    """Raise ValueError for a template that does not parse or any fact path no set-up has.

    ``templates`` are (where, text, the kernel whose config ``config.X``
    means).  Each path is looked up in the fact catalogue, the one list of
    what a set-up can answer, so a typo is found when the file is loaded.
    """
    named = [(where, f"{role}.{path}" if path.startswith("config.") else path)
             for where, text, role in templates for path in _paths(where, text)]
    named += [("check", path) for path in predicate_paths]
    for where, path in named:
        if not known_fact(path):
            raise ValueError(f"{where}: unknown fact {path!r}")


def _paths(where: str, text: str) -> list[str]:
    try:
        return paths(text)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
