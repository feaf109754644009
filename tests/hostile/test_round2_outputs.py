"""Issue 14, hostile input round 2: what kcheck writes (rows 1-3, 12) and the CLI basics.

Each test runs the real CLI.  Devices are made with mknod in a scratch
directory (as root), never the machine's own /dev nodes.
"""

from __future__ import annotations

import json
import os
import re
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_kcheck
from tests.hostile.test_bad_input_table import assert_error

OLD = FIXTURES / "2.6.13"
CHECK = ("check", "--system-config", str(OLD / "system.config"), "--cmdline", "ro crashkernel=64M@16M")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")


# --- row 1: -o at a device, FIFO or symbolic link ------------------------------


@root_only
@pytest.mark.parametrize("through_link", [False, True])
def test_output_to_a_character_device_writes_through_it(tmp_path: Path, through_link: bool) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    target = null
    if through_link:
        target = tmp_path / "link"
        target.symlink_to(null)
    result = run_kcheck(*CHECK, "-o", str(target), cwd=tmp_path)
    assert result.returncode == 1 and not result.stderr, result.stderr
    assert stat.S_ISCHR(os.stat(null).st_mode), "the device node was replaced"
    assert os.stat(null).st_rdev == os.makedev(1, 3)
    if through_link:
        assert target.is_symlink() and os.readlink(target) == str(null)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"null", target.name})


@root_only
def test_output_to_a_full_device_is_one_error_line(tmp_path: Path) -> None:
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    result = run_kcheck(*CHECK, "-o", str(full), cwd=tmp_path)
    assert_error(result, str(full), "cannot write: No space left on device")
    assert stat.S_ISCHR(os.stat(full).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_output_to_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    import threading

    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run_kcheck(*CHECK, "--format", "json", "-o", str(fifo), cwd=tmp_path)
    reader.join(60)
    assert result.returncode == 1, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and got[0].startswith(b"{") and b'"findings"' in got[0]


def test_output_to_dev_stdout_is_standard_output(tmp_path: Path) -> None:
    result = run_kcheck(*CHECK, "--format", "json", "-o", "/dev/stdout", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("{") and '"findings"' in result.stdout
    assert os.path.islink("/dev/stdout") or stat.S_ISCHR(os.stat("/dev/stdout").st_mode)


def test_output_through_a_link_to_a_file_replaces_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "report.txt"
    real.write_text("old\n")
    link = tmp_path / "latest"
    link.symlink_to(real.name)
    result = run_kcheck(*CHECK, "-o", str(link), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert link.is_symlink() and os.readlink(link) == real.name
    assert "FAIL" in real.read_text()


def test_output_to_a_directory_is_refused(tmp_path: Path) -> None:
    assert_error(run_kcheck(*CHECK, "-o", str(tmp_path), cwd=tmp_path), str(tmp_path), "is a directory")


# --- rows 2 and 3: what an input can put into an output -----------------------

HOSTILE_NAME = "a\n::error file=/etc/passwd,line=1::owned\r\u001bPred\u0000\u0007\u202e"


def _hostile_manifest(tmp_path: Path) -> Path:
    """A target with a hostile name, and a config whose path and junk line land in a note."""
    config_name = "cfg\n::warning file=shadow::x\u001b]0;title\u0007"
    config = tmp_path / config_name
    config.write_text((OLD / "system.config").read_text() + "junk \u001b[2J line\u009b\n")
    manifest = tmp_path / "kdump.toml"
    manifest.write_text(
        f'[[target]]\nname = {json.dumps(HOSTILE_NAME)}\nsystem_config = {json.dumps(config_name)}\n'
        'cmdline = "ro crashkernel=64M@16M"\n'
        '[[target]]\nname = "missing\\n::error::x"\nsystem_config = "no\\nsuch::file"\n')
    return manifest


def test_github_output_cannot_inject_a_workflow_command(tmp_path: Path) -> None:
    result = run_kcheck("check", "--manifest", str(_hostile_manifest(tmp_path)), "--format", "github",
                        cwd=tmp_path)
    assert result.returncode == 2 or result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    command = re.compile(r"^::(error|warning|notice)( [a-z]+=[^,:]*(,[a-z]+=[^,:]*)*)?::")
    for line in result.stdout.splitlines():
        assert line.startswith("kcheck: ") or command.match(line), line
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line), repr(line)
        assert "##[" not in line
        if line.startswith("::"):  # as the runner splits it: "::name props::data"
            name, _, props = line[2:].partition("::")[0].partition(" ")
            files = [value for key, _, value in (p.partition("=") for p in props.split(",")) if key == "file"]
            assert name in ("error", "warning", "notice") and all("passwd" not in f for f in files), line
    assert "[a%0A::error file=/etc/passwd,line=1::owned%0D" in result.stdout  # the name, shown escaped


def test_junit_output_is_xml_1_0_whatever_the_names(tmp_path: Path) -> None:
    result = run_kcheck("check", "--manifest", str(_hostile_manifest(tmp_path)), "--format", "junit",
                        cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode in (1, 2), result.stderr
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", result.stdout)
    root = ET.fromstring(result.stdout.encode())  # expat: a strict XML 1.0 parser
    names = [suite.get("name") for suite in root]
    assert any(name and name.startswith("a\n::error") and "\\x1bPred\\x00\\x07" in name for name in names)


@pytest.mark.parametrize("fmt", ["text", "github", "junit"])
def test_no_raw_control_character_reaches_a_text_output(tmp_path: Path, fmt: str) -> None:
    result = run_kcheck("check", "--manifest", str(_hostile_manifest(tmp_path)), "--format", fmt, "-v",
                        cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e]", result.stdout), result.stdout
    assert "\\x1b" in result.stdout


def test_error_line_shows_control_characters_escaped(tmp_path: Path) -> None:
    name = "no\x1b]0;title\x07such"
    result = run_kcheck("check", "--system-config", name, cwd=tmp_path)
    assert_error(result, "no\\x1b]0;title\\x07such", "no such file")


# --- row 12 and the CLI basics ------------------------------------------------


def test_fix_without_inputs_is_a_usage_error(tmp_path: Path) -> None:
    result = run_kcheck("fix", "--output-dir", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2 and "give at least --system-config" in result.stderr, result
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    from kcheck import __version__

    result = run_kcheck(flag)
    assert result.returncode == 0 and result.stdout == f"kcheck {__version__}\n", result


@pytest.mark.parametrize("command", ["", "check", "lint-configs", "preflight", "fleet", "fix", "rules", "explain"])
def test_dash_h_is_help(command: str) -> None:
    words = [command] if command else []
    short, long = run_kcheck(*words, "-h"), run_kcheck(*words, "--help")
    assert short.returncode == 0 and short.stdout == long.stdout and "Usage: kcheck" in short.stdout, short


def test_quiet_prints_only_the_failing_findings_and_the_verdict(tmp_path: Path) -> None:
    full = run_kcheck(*CHECK, "--fail-on", "error")
    quiet = run_kcheck(*CHECK, "--fail-on", "error", "--quiet")
    assert quiet.returncode == full.returncode == 1
    lines = quiet.stdout.splitlines()
    verdict = [line for line in lines if not line.startswith(" ")]  # what is not a finding's lines
    assert verdict and verdict[0].startswith("FAIL: ") and verdict == full.stdout.splitlines()[-len(verdict):]
    headers = [line for line in lines if line.startswith("  ") and not line.startswith("   ")]
    assert headers and all(line.split()[0] == "error" for line in headers)
    assert "note:" not in quiet.stdout and "kernel:" not in quiet.stdout and "warning " not in quiet.stdout
    full_errors = [line for line in full.stdout.splitlines() if line.startswith("  error")]
    assert sorted(headers) == sorted(full_errors)
    assert "warning" in run_kcheck(*CHECK, "--fail-on", "warning", "-q").stdout


def test_quiet_batch_lists_only_failing_targets(tmp_path: Path) -> None:
    result = run_kcheck("check", "--manifest", str(FIXTURES / "ci" / "manifest.toml"), "--quiet")
    assert "== kdump-txt ==" not in result.stdout  # the correct set-up passes
    assert "== no-capture-kernel ==" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("failed")
