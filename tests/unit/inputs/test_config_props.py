"""Property tests for the .config reader (issue 7): what kconfig writes reads back, bad input is an InputError.

The reader has a line-skipping fast path for files as kconfig writes them
and general patterns for hand-edited ones; a property checks that the two
agree on every input the fast path accepts.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcheck.domain.errors import InputError
from kcheck.inputs.kconfig import parse_config_text, read_config
from kcheck.domain.version import KernelVersion
from tests.hostile.test_bad_input_props import _scratch

SETTINGS = settings(max_examples=int(os.environ.get("KCHECK_PROPS_EXAMPLES", "200")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
FILE_SETTINGS = settings(max_examples=int(os.environ.get("KCHECK_PROPS_EXAMPLES", "80")), deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# --- .config ------------------------------------------------------------------

symbols = st.from_regex(r"[A-Z0-9_]{1,24}", fullmatch=True)
plain_values = st.one_of(st.sampled_from(["y", "m"]), st.integers(-2**63, 2**64).map(str),
                         st.integers(0, 2**64).map(hex))
string_values = st.text(st.characters(blacklist_characters="\n\0", blacklist_categories=("Cs",)), max_size=40)


def _render_config(values: dict[str, tuple[str, str]]) -> str:
    """What kconfig's conf_write() writes (confdata.c): strings quoted with \\ and \" escaped."""
    lines = ["#", "# Automatically generated file; DO NOT EDIT.", "# Linux/x86 6.1.0 Kernel Configuration", "#"]
    for symbol, (kind, value) in values.items():
        if kind == "unset":
            lines.append(f"# CONFIG_{symbol} is not set")
        elif kind == "string":
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'CONFIG_{symbol}="{escaped}"')
        else:
            lines.append(f"CONFIG_{symbol}={value}")
    return "\n".join(lines) + "\n"


config_entries = st.dictionaries(symbols, st.one_of(
    st.tuples(st.just("plain"), plain_values), st.tuples(st.just("string"), string_values),
    st.tuples(st.just("unset"), st.just("n"))), min_size=1, max_size=20)


@SETTINGS
@given(config_entries)
def test_config_round_trip(entries: dict[str, tuple[str, str]]) -> None:
    """Every value kconfig can write reads back unchanged, on the line it was written."""
    config = parse_config_text(_render_config(entries), "x.config")
    assert config.values == {symbol: value for symbol, (_, value) in entries.items()}
    assert config.warnings == ()
    assert [config.lines[s] for s in entries] == list(range(5, 5 + len(entries)))
    assert config.header_version == KernelVersion.parse("6.1.0") and config.header_arch == "x86"


config_lines = st.lists(st.one_of(
    st.builds(lambda s, v: f"CONFIG_{s}={v}", symbols, st.one_of(plain_values, string_values)),
    st.builds(lambda s: f"# CONFIG_{s} is not set", symbols),
    st.sampled_from(["", "#", "# comment", "# Linux/x86 6.1.0 Kernel Configuration", "junk", " ", "\t",
                     "CONFIG_=y", "CONFIG_A", "# CONFIG_ is not set", "\x1c", "\u2028"]),
), max_size=12)
line_decorations = st.sampled_from(["", " ", "\t", "\r", " \r", "\x0c", "\x0b"])


@SETTINGS
@given(config_lines, st.lists(st.tuples(line_decorations, line_decorations), max_size=12), st.booleans())
def test_config_clean_scan_agrees_with_general_parser(lines: list[str], decorations: list[tuple[str, str]],
                                                      final_newline: bool) -> None:
    """The line-skipping fast path reads exactly what the general patterns read, or declines."""
    from kcheck.inputs.kconfig import _parse_general

    decorated = [before + line + after for line, (before, after) in zip(lines, decorations + [("", "")] * 12)]
    text = "\n".join(decorated) + ("\n" if final_newline else "")

    def outcome(parse: object) -> object:
        try:
            config = parse(text, "x.config")  # type: ignore[operator]
        except InputError as exc:
            return exc.message
        return (config.values, config.warnings, config.header_version, config.header_arch,
                {symbol: config.lines.get(symbol) for symbol in config.values})

    assert outcome(parse_config_text) == outcome(_parse_general)


@SETTINGS
@given(st.text())
def test_config_text_parser_raises_only_input_error(text: str) -> None:
    try:
        config = parse_config_text(text, "x.config")
    except InputError as exc:
        assert exc.source == "x.config"
        return
    assert config.values
    assert all(1 <= line <= text.count("\n") + 1 for line in config.lines.values())


@FILE_SETTINGS
@given(st.one_of(st.binary(max_size=3000),
                 st.binary(max_size=200).map(lambda b: b"\x1f\x8b\x08" + b),
                 config_entries.map(lambda e: _render_config(e).encode())))
def test_config_file_reader_raises_only_input_error(data: bytes) -> None:
    path = _scratch(data, "config")
    try:
        read_config(path)
    except InputError as exc:
        assert exc.source == path


@pytest.mark.parametrize("separator", ["\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028"])
def test_config_lines_end_only_at_newline(separator: str) -> None:
    """kconfig reads lines with fgets(): other line breaks are part of a string value."""
    config = parse_config_text(f'CONFIG_CMDLINE="a{separator}b"\nCONFIG_X=y\n', "x")
    assert config.values == {"CMDLINE": f"a{separator}b", "X": "y"}
    assert config.lines == {"CMDLINE": 1, "X": 2}
