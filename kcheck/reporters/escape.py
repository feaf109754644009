"""One escaping function per output kind, so no input can inject into an output.

Names, paths, notes and messages come from files kcheck was handed: a manifest
target called ``"x\\n::error file=/etc/passwd::owned"``, a path holding ESC
or NUL.  Every reporter passes the text it writes through the function for
its kind; the fleet reporters use the same ones:

* :func:`terminal` -- text reports and the ``kcheck: error:`` line: no control
  character reaches a terminal or a log raw (ESC, NUL, CR, BEL, C1 controls,
  bidirectional overrides are shown as ``\\x1b``-style escapes); ``line=True``
  also escapes newlines, for a value that must stay on one line.
* :func:`xml_text` -- XML 1.0 (and HTML) character data and attribute values:
  characters XML 1.0 cannot carry at all (C0 controls but TAB/LF/CR,
  U+FFFE/U+FFFF, lone surrogates from non-UTF-8 input) and DEL, C1 and
  bidirectional controls become visible ``\\x01`` escapes;
  ElementTree then escapes ``&``, ``<``, ``>`` and quotes.
* :func:`html_text` -- text written into hand-built HTML or SVG (the fleet
  page): as :func:`xml_text`, on one line, with the markup characters escaped.
* :func:`workflow_data` / :func:`workflow_property` -- GitHub Actions workflow
  commands, as the runner's parser reads them (actions/toolkit
  ``escapeData``/``escapeProperty``); :func:`workflow_log` for a plain log line.
"""

from __future__ import annotations

import functools
import re

from kcheck.domain.text import abbreviate as abbreviate  # re-exported: long values, shortened

# Each class twice: whole (a regular expression), and its ASCII characters, for
# text that is all ASCII (most reports), which ``str.translate`` escapes with no
# pattern at all.  The whole classes span surrogates and bidi controls, and
# compiling them cost every ``kcheck check`` about 1.5 ms at import, more than
# reading the rules from their cache: each is compiled on first non-ASCII use.
#
# C0 controls but TAB and LF, DEL, C1 controls, the bidirectional embeddings,
# overrides and isolates ("Trojan source"), and lone surrogates (bytes that
# were not UTF-8, which a terminal would receive raw).
_TERMINAL = ("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
             "".join(map(chr, (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F))))
# One line: also LF and the Unicode line and paragraph separators, which a log
# viewer or browser may break a line on.
_TERMINAL_LINE = ("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
                  "".join(map(chr, (*range(0x00, 0x20), 0x7F))))
# What XML 1.0 (section 2.2, Char) does not allow, and what it allows but
# should not carry raw into a browser or CI viewer (DEL, C1, bidi controls).
_NOT_XML = ("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]",
            "".join(map(chr, (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))))
_SGR = r"\x1b\[[0-9;]{1,8}m"
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}


def _shown(char: str) -> str:
    """How one escaped character is written: ``\\n``, ``\\x01``, ``\\u202e``."""
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _visible(match: re.Match[str]) -> str:
    return _shown(match.group(0))


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.cache
def _table(chars: str) -> dict[int, str]:
    return {ord(char): _shown(char) for char in chars}


def _escape(classes: tuple[str, str], text: str) -> str:
    """``text`` with the characters of ``classes`` shown as escapes."""
    if text.isascii():
        return text.translate(_table(classes[1]))
    return _compiled(classes[0]).sub(_visible, text)


def terminal(text: str, *, line: bool = False, colour: bool = False) -> str:
    """``text`` with every control character shown as an escape (newlines kept unless ``line``).

    ``colour`` keeps SGR colour sequences (``ESC [ 1;31 m``), for a report
    that painted itself; fields from inputs are escaped with ``line=True``
    before painting, so none of these came from an input.
    """
    classes = _TERMINAL_LINE if line else _TERMINAL
    if not colour:
        return _escape(classes, text)
    sgr = _compiled(_SGR)
    pieces = sgr.split(text)
    codes = sgr.findall(text)
    out = [_escape(classes, pieces[0])]
    for code, piece in zip(codes, pieces[1:]):
        out.append(code)
        out.append(_escape(classes, piece))
    return "".join(out)


def xml_text(text: str) -> str:
    """``text`` made of characters XML 1.0 allows (the rest shown as escapes)."""
    return _escape(_NOT_XML, text)


def html_text(text: str, *, line: bool = True) -> str:
    """``text`` for an HTML/SVG text node or quoted attribute value.

    Markup characters become entities; what XML 1.0 cannot carry, and (with
    ``line``) newlines and tabs, become visible escapes, so a host name cannot
    open an element or break the row it sits in.
    """
    text = xml_text(text)
    if line:
        text = _escape(_TERMINAL_LINE, text)
    # html.escape(quote=True), without importing html (and its entity tables) at start-up.
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#x27;"))


def xml_tree(root: object) -> None:
    """Make every text, tail and attribute of an ElementTree XML 1.0-clean, in place.

    Run once on the finished tree, so no field a reporter sets can be missed.
    """
    for element in root.iter():  # type: ignore[attr-defined]
        if element.text:
            element.text = xml_text(element.text)
        if element.tail:
            element.tail = xml_text(element.tail)
        for key, value in list(element.attrib.items()):
            element.attrib[key] = xml_text(value)


def workflow_data(text: str) -> str:
    """The message of a workflow command: ``%``, CR and LF escaped, other controls shown."""
    return terminal(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def workflow_property(text: str) -> str:
    """A property value (``file=``, ``title=``): also ``:`` and ``,``."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_log(text: str) -> str:
    """A plain log line in a job log: one line, that cannot start or contain a command.

    The runner reads ``::name::`` at the start of a line and the older
    ``##[name]`` anywhere in it.
    """
    return terminal(text, line=True).replace("##[", "#\\x23[")
