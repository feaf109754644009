"""The solver and the 6.11+ choice rules on tiny Kconfig trees: one construct per test.

The real trees (tests/corpus/test_kconfig_linux612.py, test_fix_kbuild.py)
show the same against the kernel's own tools; these pin each construct down
in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

from kcheck.kconfig.resolve import apply_fragment, resolve
from kcheck.kconfig.tree import load_kconfig


def _tree(root: Path, kconfig: str, version: tuple[int, int] = (6, 12)) -> str:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Kconfig").write_text('mainmenu "tiny"\nconfig MODULES\n\tbool "modules"\n\tmodules\n' + kconfig)
    (root / "Makefile").write_text(f"VERSION = {version[0]}\nPATCHLEVEL = {version[1]}\nSUBLEVEL = 0\n")
    return str(root)


def _config(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


PROMPTLESS = """
config BIG
\tbool "big machine"
config HIGH
\tdef_bool y
\tdepends on HIGH_A || HIGH_B
choice
\tprompt "memory model"
\tdefault LOW
config LOW
\tbool "low"
config HIGH_A
\tbool "high a"
config HIGH_B
\tbool "high b"
\tselect HEAVY
endchoice
config HEAVY
\tbool
config SUPPORTS_DUMP
\tdef_bool BIG || HIGH
config DUMP
\tbool "dump"
\tdepends on SUPPORTS_DUMP
"""


def test_a_promptless_expression_is_made_true_through_its_parts(tmp_path: Path) -> None:
    kconf = load_kconfig(_tree(tmp_path / "t", PROMPTLESS), "x86_64", use_cache=False)
    r = resolve(kconf, None, {"DUMP": "y"})
    assert r.unresolved == {}
    # BIG=y and HIGH_A=y both cost one line; BIG changes fewer symbols (no choice flip).
    assert r.assignments == {"DUMP": "y", "BIG": "y"}
    assert r.reasons["BIG"] == "CONFIG_DUMP needs CONFIG_SUPPORTS_DUMP = CONFIG_BIG || CONFIG_HIGH; " \
                               "CONFIG_BIG=n in the default configuration"
    r = resolve(kconf, None, {"DUMP": "y", "BIG": "n"})
    assert r.assignments == {"DUMP": "y", "BIG": "n", "HIGH_A": "y"}  # HIGH_B would also select HEAVY
    assert r.reasons["HIGH_A"].startswith("CONFIG_DUMP needs CONFIG_SUPPORTS_DUMP = CONFIG_BIG || CONFIG_HIGH (choice")


RETRY = """
config NAME
\tstring "name"
\tdefault "x"
config NEEDS_NAME
\tbool "needs the name bar"
\tdepends on NAME = "bar"
"""


def test_a_request_that_fails_first_is_retried_and_not_reported_when_it_sticks(tmp_path: Path) -> None:
    kconf = load_kconfig(_tree(tmp_path / "t", RETRY), "x86_64", use_cache=False)
    r = resolve(kconf, None, {"NEEDS_NAME": "y", "NAME": "bar"})
    assert r.unresolved == {} and r.assignments == {"NEEDS_NAME": "y", "NAME": "bar"}
    r = resolve(kconf, None, {"NEEDS_NAME": "y"})
    assert list(r.unresolved) == ["NEEDS_NAME"] and r.assignments == {}  # a line that would not stick is not written
    assert "kcheck cannot arrange" in r.unresolved["NEEDS_NAME"]


IMPLY = """
config FEATURE
\tbool "feature"
\timply HELPER
config HELPER
\tbool
\tdepends on FEATURE
config SELECTED
\tbool "selected"
config SELECTOR
\tbool "selector"
\tdefault y
\tselect SELECTED
"""


def test_imply_and_select(tmp_path: Path) -> None:
    kconf = load_kconfig(_tree(tmp_path / "t", IMPLY), "x86_64", use_cache=False)
    r = resolve(kconf, None, {"HELPER": "y"})  # promptless: only FEATURE's imply turns it on
    assert r.unresolved == {} and r.assignments == {"HELPER": "y", "FEATURE": "y"}
    r = resolve(kconf, None, {"SELECTED": "n"})  # selected by a default-y option: turn that off
    assert r.unresolved == {} and r.assignments == {"SELECTED": "n", "SELECTOR": "n"}


CHOICE = """
config PAE
\tbool "pae"
config EXPERT
\tbool "expert"
choice
\tprompt "memory"
\tdefault HIGH4
config NOHIGH
\tbool "off"
config HIGH4
\tbool "4G"
config HIGH64
\tbool "64G"
\tdepends on PAE
endchoice
choice
\tprompt "split" if EXPERT
\tdefault SPLIT3
config SPLIT3
\tbool "3G"
config SPLIT2
\tbool "2G"
endchoice
"""
REJECTED = "# CONFIG_PAE is not set\n# CONFIG_NOHIGH is not set\n# CONFIG_HIGH4 is not set\nCONFIG_HIGH64=y\n"


def test_choices_follow_the_611_rules_from_611_on(tmp_path: Path) -> None:
    base = _config(tmp_path / "base.config", REJECTED)
    new = load_kconfig(_tree(tmp_path / "new", CHOICE, (6, 12)), "x86_64", use_cache=False)
    values = apply_fragment(new, base, {})
    # HIGH64 is invisible, the default HIGH4 was set to n: the kernel takes the
    # least recently assigned visible member; a hidden prompt still picks SPLIT3.
    assert (values["NOHIGH"], values["HIGH4"], values["SPLIT3"]) == ("y", "n", "y")
    assert apply_fragment(new, base, {"SPLIT2": "y"})["SPLIT2"] == "y"
    old = load_kconfig(_tree(tmp_path / "old", CHOICE, (6, 1)), "x86_64", use_cache=False)
    values = apply_fragment(old, base, {})
    assert values["HIGH4"] == "y" and "SPLIT3" not in values  # kconfiglib's (and 6.1's) rules


def test_the_journal_restores_a_choice_members_priority(tmp_path: Path) -> None:
    kconf = load_kconfig(_tree(tmp_path / "t", CHOICE, (6, 12)), "x86_64", use_cache=False)
    base = _config(tmp_path / "base.config", REJECTED)
    before = apply_fragment(kconf, base, {})
    r = resolve(kconf, base, {"HIGH4": "y"})
    assert r.assignments == {"HIGH4": "y"} and r.values["HIGH4"] == "y"
    assert apply_fragment(kconf, base, {}) == before
