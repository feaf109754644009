"""makedumpfile's dump level as the services run it (kcheck.domain.dump_tools.dump_level)."""

from __future__ import annotations

import pytest

from kcheck.domain.dump_tools import dump_level
from kcheck.inputs.kdump_service import DEBIAN_MAKEDUMP_ARGS, FEDORA_CORE_COLLECTOR


@pytest.mark.parametrize("collector, level", [
    ("makedumpfile " + DEBIAN_MAKEDUMP_ARGS, 31),          # kdump-tools 1.8.1's default
    (FEDORA_CORE_COLLECTOR, 31),                           # kdump-utils' default core_collector
    ("makedumpfile -c -d 1", 1),
    ("/usr/sbin/makedumpfile -l --dump-level 17", 17),
    ("makedumpfile -l --dump-level=8", 8),
    ("makedumpfile -d31 -c", 31),
    ("makedumpfile -c", 0),                                # no -d: every page
    ("cp --sparse=always", 0),                             # a plain copy keeps every page
    ("/usr/local/bin/my-collector -x", None),              # unknown: not judged
    ("makedumpfile -d many", None),
    ("makedumpfile 'unterminated", None),
])
def test_dump_level(collector: str, level: int | None) -> None:
    assert dump_level(collector) == level
