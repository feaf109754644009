"""The pre-commit hook, run the way pre-commit runs it (without needing pre-commit)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from tests.ci_common import OLD, run_kcheck
from tests.conftest import FIXTURES, ROOT

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def hook_command(hook: dict, changed: list[str]) -> list[str]:
    """entry + args + the changed files its ``files`` pattern selects, as pre-commit builds it."""
    pattern = re.compile(hook["files"])
    selected = [name for name in changed if pattern.search(name)]
    command = shlex.split(hook["entry"]) + list(hook.get("args", []))
    return command + (selected if hook.get("pass_filenames", True) else [])


def test_the_hook_is_well_formed() -> None:
    hook, = HOOKS
    assert hook["id"] == "kcheck" and hook["language"] == "python"
    assert shlex.split(hook["entry"])[0] == "kcheck", "the console script pip installs"
    assert hook["require_serial"] is True, "kcheck parallelises the files itself"


@pytest.mark.parametrize(("name", "selected"), [
    (".config", True), ("boards/x86/.config", True), ("config-6.1.0-13-amd64", True),
    ("boot/config-2.6.13-kdump", True), ("arm64.config", True), ("kdump/capture.config", True),
    ("configure.ac", False), ("Kconfig", False), ("README.md", False), ("config.h", False), ("myconfig", False),
])
def test_files_pattern_selects_kernel_configs(name: str, selected: bool) -> None:
    assert bool(re.search(HOOKS[0]["files"], name)) is selected


def test_hook_checks_each_changed_config(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "ci" / "x86_64-6.1.config", tmp_path / "x86_64.config")
    (tmp_path / "boot").mkdir()
    shutil.copy(OLD / "capture.config", tmp_path / "boot" / "config-2.6.13-kdump")
    (tmp_path / "README.md").write_text("configs\n")
    command = hook_command(HOOKS[0], ["x86_64.config", "boot/config-2.6.13-kdump", "README.md"])
    assert command[-2:] == ["x86_64.config", "boot/config-2.6.13-kdump"]
    result = run_kcheck(*command[1:], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    table = result.stdout[result.stdout.index("target  "):].splitlines()
    assert table[1].split()[0] == "x86_64.config" and table[1].endswith("ok")
    assert table[2].split()[0] == "boot/config-2.6.13-kdump" and table[2].endswith("FAIL")
    assert "KS001" in result.stdout, "checked as a system kernel"
    good = run_kcheck(*hook_command(HOOKS[0], ["x86_64.config"])[1:], cwd=tmp_path)
    assert good.returncode == 0 and good.stderr == ""


def test_hook_reports_an_unreadable_config_and_keeps_going(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "ci" / "x86_64-6.1.config", tmp_path / "a.config")
    (tmp_path / "b.config").write_bytes(b"\x00\x01binary\xff")
    result = run_kcheck(*hook_command(HOOKS[0], ["a.config", "b.config"])[1:], cwd=tmp_path)
    assert result.returncode == 2
    assert "== a.config ==" in result.stdout and "OK: 0 errors" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("b.config "))
    assert "error: b.config: " in row
