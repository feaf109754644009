"""False alarms found in use, each kept as a regression test."""

from __future__ import annotations

from pathlib import Path

from kcheck.model import Status
from tests.rules.harness import evaluate_case


def test_kb010_is_silent_without_any_crashkernel(tmp_path: Path) -> None:
    """KB010 said "only crashkernel=not set is used" on a line with no crashkernel= at all."""
    result = evaluate_case("KB010", {"base": "2.6.13", "cmdline": "ro root=/dev/hda1"}, tmp_path)
    assert result.status is Status.SKIP
