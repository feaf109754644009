"""kcheck's table of kdump architectures against the real Kconfig trees (Debian 6.1 and 6.12).

kdump.rst lists the architectures kdump supports by hand, and forgets riscv
and loongarch.  kcheck takes them from the Kconfig instead
(kcheck.domain.arch.KDUMP_SRCARCH); these tests read every arch/*/Kconfig of
both trees and fail when the table and the tree disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kcheck.domain.arch import KDUMP_SRCARCH, NO_KDUMP, SRCARCH, kdump_possible
from tests.kbuild import tree

# What offers CRASH_DUMP to an architecture in each series.
MARK = {"6.1": re.compile(r"^config CRASH_DUMP\b", re.M),
        "6.12": re.compile(r"^config ARCH_SUPPORTS_CRASH_DUMP\b", re.M)}


def _kdump_dirs(src: Path, series: str) -> set[str]:
    return {d.name for d in (src / "arch").iterdir()
            if (d / "Kconfig").is_file() and MARK[series].search((d / "Kconfig").read_text())}


@pytest.mark.parametrize("series", ["6.1", "6.12"])
def test_the_table_is_the_tree(series: str) -> None:
    src = tree(series)
    row = dict(KDUMP_SRCARCH)[tuple(int(p) for p in series.split("."))]  # type: ignore[index]
    assert _kdump_dirs(src, series) == set(row)
    # every architecture directory of the tree is one kcheck knows (ia64: 6.1 only, not known)
    dirs = {d.name for d in (src / "arch").iterdir() if (d / "Kconfig").is_file()}
    assert dirs - {"ia64"} <= set(SRCARCH.values())


def test_riscv_and_loongarch_have_kdump_in_both_trees() -> None:
    for series in ("6.1", "6.12"):
        assert {"riscv", "loongarch"} <= _kdump_dirs(tree(series), series)
    for arch in ("riscv64", "loongarch64"):
        assert kdump_possible(arch, (6, 1)) and kdump_possible(arch, (6, 12))


def test_6_12_crash_dump_depends_on_arch_supports_crash_dump() -> None:
    """Why the 6.12 row reads ARCH_SUPPORTS_CRASH_DUMP: the generic CRASH_DUMP depends on it."""
    text = (tree("6.12") / "kernel" / "Kconfig.kexec").read_text()
    stanza = text[text.index("config CRASH_DUMP\n"):].split("\nconfig ", 1)[0]
    assert "depends on ARCH_SUPPORTS_CRASH_DUMP" in stanza


def test_no_kdump_architectures_have_none_in_either_tree() -> None:
    for series in ("6.1", "6.12"):
        dirs = _kdump_dirs(tree(series), series)
        assert {SRCARCH[arch] for arch in NO_KDUMP} & dirs == set()
    assert {"sparc64", "sparc", "parisc64", "alpha"} <= NO_KDUMP
    assert not kdump_possible("sparc64", (6, 12)) and not kdump_possible("sparc64", (2, 6, 13))
