"""The escaping functions every reporter (fleet pages included) writes through.

Property tests: whatever text a report file or input carries, what comes out
is one line where one line was asked for, holds no control character, no
bidirectional override and no markup, and parses as XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from kcheck.reporters import escape
from kcheck.reporters.escape import html_text, terminal, xml_text

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
LINE_BREAKS = re.compile("[\n\r\u2028\u2029\x0b\x0c\x1c-\x1e\x85]")
NASTY = st.text(alphabet=st.sampled_from(list("<>&\"'ab\t\n\r\x00\x1b\x07\x85\u2028\u2029\u202e\u2066\ufffe\ud800")) | st.characters())


@given(NASTY)
def test_terminal_line_is_one_printable_line(text: str) -> None:
    out = terminal(text, line=True)
    assert not RAW_CONTROL.search(out)
    assert not LINE_BREAKS.search(out)


@given(NASTY)
def test_html_text_is_one_line_without_markup_and_parses_inside_an_element(text: str) -> None:
    out = html_text(text)
    assert not set(out) & set("<>\"'")
    assert not LINE_BREAKS.search(out) and not RAW_CONTROL.search(out)
    ET.fromstring(f'<svg title="{out}"><text>{out}</text></svg>')  # raises if it could inject or break XML


@given(NASTY)
def test_xml_text_always_parses(text: str) -> None:
    element = ET.Element("case", name=xml_text(text))
    element.text = xml_text(text)
    ET.fromstring(ET.tostring(element))


def test_escapes_are_visible_and_name_the_character() -> None:
    assert terminal("a\x1b[31mb\u2028c", line=True) == "a\\x1b[31mb\\u2028c"
    assert html_text('<b a="1">\u202e') == "&lt;b a=&quot;1&quot;&gt;\\u202e"
    assert xml_text("ok\tthen\x00") == "ok\tthen\\x00"


def test_ascii_classes_are_the_ascii_part_of_the_whole_classes() -> None:
    """ASCII text is escaped by str.translate with the class's ASCII characters: the same ones as the
    whole class (a regular expression) escapes, written the same way."""
    for whole, ascii_part in (escape._TERMINAL, escape._TERMINAL_LINE, escape._NOT_XML):
        for code in range(128):
            char = chr(code)
            assert bool(re.fullmatch(whole, char)) == (char in ascii_part), (whole, code)
            assert re.sub(whole, escape._visible, char) == char.translate(escape._table(ascii_part))
