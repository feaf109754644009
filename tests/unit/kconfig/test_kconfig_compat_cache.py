"""The kconfiglib 14.1.0 compatibility layer and the parsed-Kconfig cache, on tiny real trees."""

from __future__ import annotations

import gc
import os
import warnings
import pickle
from pathlib import Path

import pytest

from kcheck.domain.errors import InputError
from kcheck.kconfig import tree
from kcheck.kconfig.compat import unsupported_construct
from kcheck.kconfig.tree import kernel_version, load_kconfig

MAKEFILE = "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 7\nEXTRAVERSION = -rc1\nNAME = test\n"

# Linux >= 5.13 spells the MODULES attribute as a bare `modules` line
# (kernel/module/Kconfig of 6.1 line 4).
MODERN = """\
mainmenu "tiny"
config MODULES
\tbool "Enable loadable module support"
\tmodules
config FOO
\ttristate "foo"
config CCV
\tstring
\tdefault "$(CC_VERSION_TEXT)"
config KV
\tstring
\tdefault "$(KERNELVERSION)"
config ARCHNAME
\tstring
\tdefault "$(ARCH)/$(SRCARCH)"
"""


def make_tree(root: Path, kconfig: str, makefile: str = MAKEFILE) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Kconfig").write_text(kconfig)
    (root / "Makefile").write_text(makefile)
    return root


def test_plain_kconfiglib_cannot_parse_bare_modules(tmp_path: Path, monkeypatch) -> None:
    """The reason the layer exists: PyPI kconfiglib 14.1.0 stops on `modules`."""
    import kconfiglib

    src = make_tree(tmp_path / "src", MODERN)
    monkeypatch.setenv("srctree", str(src))
    with pytest.raises(kconfiglib.KconfigError, match="unrecognized construct") as failed:
        kconfiglib.Kconfig("Kconfig", warn_to_stderr=False)
    # Plain kconfiglib leaves the Kconfig file it failed in open; collect it
    # here, not in whichever later test the garbage collector happens to run.
    del failed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def test_a_parse_error_leaves_no_kconfig_file_open(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", MODERN + "config OLD_NAME\n\tbool \"old\"\n\ttransitional\n")
    (src / "Kconfig").write_text('source "sub/Kconfig"\n' + (src / "Kconfig").read_text())
    (src / "sub").mkdir()
    (src / "sub" / "Kconfig").write_text('config SUB\n\tbool "sub"\n\tfrobnicate\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        with pytest.raises(InputError):
            load_kconfig(str(src), "x86_64", use_cache=False)
        gc.collect()  # an unclosed file would warn (an error here) as it is collected


def test_bare_modules_parses_and_means_option_modules(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", MODERN)
    k = load_kconfig(str(src), "x86_64", use_cache=False)
    assert k.modules is k.syms["MODULES"]
    k.syms["MODULES"].set_value("y")
    k.syms["FOO"].set_value("m")
    assert k.syms["FOO"].str_value == "m"  # m only exists when MODULES does
    k.syms["MODULES"].set_value("n")
    assert k.syms["FOO"].str_value == "y"  # without MODULES, m rounds up to y (symbol.c sym_calc_value)
    assert k.syms["KV"].str_value == "6.1.7-rc1"
    assert k.syms["ARCHNAME"].str_value == "x86_64/x86"
    assert k.syms["CCV"].str_value.startswith("gcc")
    assert not any("modules" in w for w in k.warnings)


@pytest.mark.parametrize(
    ("line", "construct"),
    [("\ttransitional\n", "'transitional' (Linux 6.18+)"),
     ("\tdepends on MODULES if FOO\n", "'depends on ... if ...' (Linux 6.19+)")],
)
def test_newer_syntax_gives_a_clear_error(tmp_path: Path, line: str, construct: str) -> None:
    src = make_tree(tmp_path / "src", MODERN + "config OLD_NAME\n\tbool \"old\"\n" + line)
    with pytest.raises(InputError) as exc:
        load_kconfig(str(src), "x86_64", use_cache=False)
    assert exc.value.source == str(src)
    assert exc.value.message.startswith(f"Kconfig uses {construct} (Kconfig:")
    assert "which kconfiglib 14.1.0 cannot parse" in exc.value.message
    assert unsupported_construct(line) == construct


def test_other_parse_errors_and_non_trees(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", MODERN + "config BAD\n\tbool \"x\"\n\tfrobnicate 3\n")
    with pytest.raises(InputError, match="kconfiglib 14.1.0 cannot parse this Kconfig tree: Kconfig:"):
        load_kconfig(str(src), "x86_64", use_cache=False)
    with pytest.raises(InputError, match="no top-level Kconfig"):
        load_kconfig(str(tmp_path), "x86_64", use_cache=False)
    with pytest.raises(InputError, match="unknown architecture 'vax'"):
        load_kconfig(str(make_tree(tmp_path / "ok", MODERN)), "vax", use_cache=False)


def test_kernelversion_from_makefile(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", MODERN, "VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 13\nEXTRAVERSION =\n")
    assert kernel_version(str(src)) == "2.6.13"
    (src / "Makefile").write_text("all:\n")
    with pytest.raises(InputError, match="no VERSION"):
        kernel_version(str(src))


def test_environment_restored_and_cwd_untouched(tmp_path: Path, monkeypatch) -> None:
    src = make_tree(tmp_path / "src", MODERN + 'config PROBE\n\tdef_bool $(shell,mkdir .tmp_probe && rmdir .tmp_probe && echo y)\n')
    monkeypatch.delenv("ARCH", raising=False)
    monkeypatch.chdir(tmp_path)
    k = load_kconfig(str(src), "arm64", use_cache=False)
    assert k.syms["PROBE"].str_value == "y"
    assert "ARCH" not in os.environ
    assert os.getcwd() == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_cache_miss_hit_and_invalidation(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 'mainmenu "t"\nsource "sub/Kconfig"\n' )
    (src / "sub").mkdir()
    sub = src / "sub" / "Kconfig"
    sub.write_text(MODERN)
    cache = tmp_path / "cache"

    load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert not tree.last_load.cache_hit
    entries = list(cache.iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".pickle"
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]

    k = load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert tree.last_load.cache_hit
    assert k.syms["KV"].str_value == "6.1.7-rc1" and k.modules is k.syms["MODULES"]

    # touch without a change of contents: still keyed by contents -> hit
    st = sub.stat()
    os.utime(sub, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert tree.last_load.cache_hit

    # an edited Kconfig file that is `source`d -> miss, and the new symbol is there
    sub.write_text(MODERN + "config NEW_ONE\n\tbool \"new\"\n")
    k = load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert not tree.last_load.cache_hit and "NEW_ONE" in k.syms
    load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert tree.last_load.cache_hit

    # an edited probe script -> miss
    (src / "scripts").mkdir()
    probe = src / "scripts" / "cc-version.sh"
    probe.write_text("#!/bin/sh\necho GCC 1200\n")
    load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert not tree.last_load.cache_hit
    probe.write_text("#!/bin/sh\necho GCC 1300\n")
    load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert not tree.last_load.cache_hit

    # another architecture is another entry
    k = load_kconfig(str(src), "i386", cache_dir=str(cache))
    assert not tree.last_load.cache_hit and k.syms["ARCHNAME"].str_value == "i386/x86"
    load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert tree.last_load.cache_hit


def test_corrupt_cache_entry_is_reparsed(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", MODERN)
    cache = tmp_path / "cache"
    load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    (entry,) = cache.iterdir()
    entry.write_bytes(b"not a pickle")
    k = load_kconfig(str(src), "x86_64", cache_dir=str(cache))
    assert not tree.last_load.cache_hit and "FOO" in k.syms
    data = pickle.loads(entry.read_bytes())
    assert data["format"] == tree.CACHE_FORMAT and "Kconfig" in data["manifest"]


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert tree.default_cache_dir() == str(tmp_path / "kcheck" / "kconfig")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert tree.default_cache_dir() == str(tmp_path / "home" / ".cache" / "kcheck" / "kconfig")
