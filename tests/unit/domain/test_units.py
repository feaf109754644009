"""Sizes for people: the largest unit that gives a number of at least 1."""

from __future__ import annotations

import pytest

from kcheck.domain.units import human_size


@pytest.mark.parametrize(("value", "text"), [
    (512, "512B"),
    (4096, "4K"),
    (66682880, "63.6M"),
    (5 << 30, "5G"),
    (3 << 40, "3T"),
    # /proc/vmcore of a broken arm64 dump header (KX030): about 16 EiB, not "17179773973.9G"
    (18446641842670870528, "16E"),
])
def test_human_size(value: int, text: str) -> None:
    assert human_size(value) == text
