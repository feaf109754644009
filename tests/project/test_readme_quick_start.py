"""The README's Quick start is what CI runs, and its first command works."""

from __future__ import annotations

import re

from tests.conftest import ROOT, run_kcheck


def _quick_start_blocks() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def test_ci_runs_exactly_the_second_quick_start_block() -> None:
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line for line in script if line.strip() and not line.startswith(("#", "set -euo", 'cd "$(dirname'))]
    assert "set -euo pipefail" in script
    assert commands == _quick_start_blocks()[1]


def test_first_quick_start_block_checks_the_bundled_setup_clean() -> None:
    install, *rest = _quick_start_blocks()[0][1:]
    assert install == "pip install ."
    (command,) = rest
    assert command.startswith("kcheck check ")
    result = run_kcheck(*command.split()[1:])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 0 errors, 0 warnings" in result.stdout
