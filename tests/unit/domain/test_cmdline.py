"""Kernel command-line tokenising (next_arg/parse_args semantics) and fixer helpers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcheck.domain.cmdline import (
    Param,
    add_param,
    format_param,
    parse_cmdline,
    remove_params,
    remove_spans,
    render_cmdline,
    set_param,
)


def pairs(text: str) -> list[tuple[str, str | None]]:
    return [(p.name, p.value) for p in parse_cmdline(text).params]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("root=/dev/sda1 ro quiet", [("root", "/dev/sda1"), ("ro", None), ("quiet", None)]),
        ('foo="a b" bar', [("foo", "a b"), ("bar", None)]),  # value quotes stripped
        ('"foo=a b" bar', [("foo", "a b"), ("bar", None)]),  # whole-token quotes stripped
        ('a"b c"d e', [('a"b c"d', None), ("e", None)]),  # quote inside toggles, kept
        ('foo="a b"c', [("foo", 'a b"c')]),  # trailing quote not at the end: kept
        ("=a=b", [("=a", "b")]),  # '=' at index 0 is "no equals" in next_arg
        ("k=", [("k", "")]),
        ('k="', [("k", "")]),
        ("a\tb\nc\x0bd\x0ce\rf\xa0g", [(c, None) for c in "abcdefg"]),  # kernel isspace incl. 0xA0
        ("   lead  trail   ", [("lead", None), ("trail", None)]),
        ("a\0b c", [("a", None)]),  # C string ends at NUL
        ("", []),
    ],
)
def test_tokenising_matches_next_arg(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert pairs(text) == expected


def test_offsets_delimit_the_raw_token() -> None:
    text = 'ro  foo="a b"\tbar=1\n'
    parsed = parse_cmdline(text)
    assert [text[p.start : p.end] for p in parsed.params] == ["ro", 'foo="a b"', "bar=1"]


def test_double_dash_ends_kernel_params_and_rejoins_init_args() -> None:
    parsed = parse_cmdline('ro -- single x="y z" -- w')
    assert pairs('ro -- single x="y z" -- w') == [("ro", None)]
    assert parsed.init_args == ("single", "x=y z", "--", "w")
    assert parsed.init_start == 3
    # A quoted "--" is still "--" after quote stripping; "--x" is a parameter.
    assert parse_cmdline('"--" a').init_args == ("a",)
    assert pairs("--x -- y") == [("--x", None)]


def test_dashes_and_underscores_are_equivalent_in_names() -> None:
    parsed = parse_cmdline("reset-devices nr_cpus=1 nr-cpus=2")
    assert parsed.has("reset_devices")
    assert parsed.get("nr_cpus") == "2"  # last occurrence wins
    assert [p.value for p in parsed.all("nr-cpus")] == ["1", "2"]
    assert parsed.get("irqpoll") is None and not parsed.has("irqpoll")
    assert parsed.get("reset_devices") is None and parsed.has("reset_devices")


def test_remove_params_keeps_everything_else_byte_for_byte() -> None:
    text = "BOOT_IMAGE=/vmlinuz  crashkernel=256M ro\tcrashkernel=1G,high quiet\n"
    assert remove_params(text, "crashkernel") == "BOOT_IMAGE=/vmlinuz  ro\tquiet\n"
    assert remove_params("crashkernel=1 a", "crashkernel") == "a"
    assert remove_params("a crashkernel=1\n", "crashkernel") == "a\n"
    assert remove_params("crashkernel=1", "crashkernel") == ""
    assert remove_params("a b", "crashkernel") == "a b"


def test_add_and_set_param() -> None:
    assert add_param("ro quiet\n", "irqpoll") == "ro quiet irqpoll\n"
    assert add_param("ro -- single", "irqpoll") == "ro irqpoll -- single"
    assert add_param("", "irqpoll") == "irqpoll"
    assert add_param("ro", "foo", "a b") == 'ro foo="a b"'
    assert set_param("nr_cpus=4 ro nr-cpus=2", "nr_cpus", "1") == "ro nr_cpus=1"


@pytest.mark.parametrize(("name", "value"), [("", None), ("a b", None), ("a=b", None), ("x", 'a"b')])
def test_format_param_refuses_what_the_kernel_cannot_carry(name: str, value: str | None) -> None:
    with pytest.raises(ValueError):
        format_param(name, value)


def test_render_cmdline() -> None:
    assert render_cmdline([("irqpoll", None), ("nr_cpus", "1"), ("x", "")]) == 'irqpoll nr_cpus=1 x=""'


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list('ab=" -\t\n\xa0\0c')), max_size=40))
def test_parse_never_raises_and_offsets_are_sane(text: str) -> None:
    parsed = parse_cmdline(text)
    last = 0
    for p in parsed.params:
        assert last <= p.start < p.end <= len(text)
        last = p.end
    # Removing every parameter leaves no parameter behind.
    stripped = remove_spans(text, [(p.start, p.end) for p in parsed.params])
    assert parse_cmdline(stripped).params == () or parsed.init_start is not None


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.-0123456789", min_size=1, max_size=8).filter(
    lambda s: s != "--"
)
values = st.none() | st.text(alphabet="abc =,:@\t/", max_size=8)


@settings(max_examples=300)
@given(st.lists(st.tuples(names, values), max_size=6), names, values)
def test_add_param_round_trips(existing: list[tuple[str, str | None]], name: str, value: str | None) -> None:
    text = render_cmdline(existing)
    assert pairs(text) == existing
    new = add_param(text, name, value)
    assert pairs(new) == existing + [(name, value)]
    assert parse_cmdline(remove_params(new, name)).all(name) == ()


def test_param_matches() -> None:
    assert Param("nr-cpus", "1", 0, 9).matches("nr_cpus")
