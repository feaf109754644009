"""Split a command line into words as a POSIX shell does, in linear time.

``shlex.split`` grows each word one character at a time (``token = token +
char``), so a 1 MB ``--append="..."`` took 25 s.  Here one regular expression
walks the text once and a word is joined from its pieces: unquoted runs,
``'...'`` (literal), ``"..."`` (a backslash escapes only ``"`` and ``\\``)
and backslash escapes outside quotes.  Words and errors are exactly those of
``shlex.split(text, comments=False, posix=True)``, which kcheck used before
(the tests compare the two); nothing is expanded or run.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<plain>[^ \t\r\n'"\\]+)
  | '(?P<single>[^']*)'
  | "(?P<double>[^"\\]*(?:\\.[^"\\]*)*)"
  | \\(?P<escaped>.)
  | (?P<open>['"])
  | (?P<trailing>\\)
""", re.X | re.S)
_DOUBLE_ESCAPE = re.compile(r'\\(["\\])')
_TRAILING_ESCAPE = re.compile(r'[^\\]*(?:\\.[^\\]*)*\\', re.S)


def split_words(text: str) -> list[str]:
    """The words of ``text``; ValueError ("No closing quotation", "No escaped character")."""
    words: list[str] = []
    pieces: list[str] = []
    in_word = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "space":
            if in_word:
                words.append("".join(pieces))
                pieces, in_word = [], False
            continue
        if kind == "open":
            rest = text[match.end():]
            if match.group(kind) == '"' and _TRAILING_ESCAPE.fullmatch(rest):
                raise ValueError("No escaped character")
            raise ValueError("No closing quotation")
        if kind == "trailing":
            raise ValueError("No escaped character")
        in_word = True
        value = match.group(kind)  # type: ignore[arg-type]
        if kind == "double":
            value = _DOUBLE_ESCAPE.sub(r"\1", value)
        pieces.append(value)
    if in_word:
        words.append("".join(pieces))
    return words
