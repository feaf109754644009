"""Issue 14, hostile input round 2: what kcheck reads (rows 4-7, 13, 14), through the real CLI."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcheck.domain.shellwords import split_words
from tests.conftest import FIXTURES, ROOT
from tests.hostile.test_bad_input_table import assert_error, run_bounded

OLD = FIXTURES / "2.6.13"
CONFIG = (OLD / "capture.config").read_bytes()  # has CONFIG_CRASH_DUMP=y
NO_CRASH_DUMP = b"".join(line for line in CONFIG.splitlines(keepends=True) if b"CRASH_DUMP" not in line) \
    + b"# CONFIG_CRASH_DUMP is not set\n"


def _check(tmp_path: Path, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``config`` as the capture kernel's .config of the 2.6.13 set-up (KC001 fires without CRASH_DUMP)."""
    return run_bounded("check", "--system-config", str(OLD / "system.config"), "--capture-config", str(config),
                       "--cmdline", "ro crashkernel=64M@16M", *extra, cwd=tmp_path)


# --- row 4: every gzip member -------------------------------------------------


def test_second_gzip_member_is_read_as_zcat_reads_it(tmp_path: Path) -> None:
    """cat a.gz b.gz: the second member unsets CRASH_DUMP (last one wins), so no false OK."""
    config = tmp_path / "config.gz"
    config.write_bytes(gzip.compress(CONFIG) + gzip.compress(NO_CRASH_DUMP))
    assert gzip.decompress(config.read_bytes()).endswith(b"# CONFIG_CRASH_DUMP is not set\n")
    result = _check(tmp_path, config, "--format", "json")
    assert result.returncode == 1, result.stderr
    assert "KC001" in _findings(result)  # capture-crash-dump-disabled
    first_only = tmp_path / "one.gz"
    first_only.write_bytes(gzip.compress(CONFIG))
    result = _check(tmp_path, first_only, "--format", "json")
    assert result.returncode == 0 and "KC001" not in _findings(result)


def _findings(result: subprocess.CompletedProcess[str]) -> list[str]:
    import json

    return [finding["rule"] for finding in json.loads(result.stdout)["findings"]]


def test_trailing_garbage_after_a_gzip_member_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "config.gz"
    member = gzip.compress(CONFIG)
    config.write_bytes(member + b"garbage\n")
    assert_error(_check(tmp_path, config), str(config), f"trailing garbage after gzip member 1 (at byte {len(member)})")
    padded = tmp_path / "padded.gz"  # zero padding, as gzip itself accepts
    padded.write_bytes(member + bytes(512))
    assert _check(tmp_path, padded).returncode == 0


def test_truncated_second_member_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "config.gz"
    config.write_bytes(gzip.compress(CONFIG) + gzip.compress(NO_CRASH_DUMP)[:-12])
    assert_error(_check(tmp_path, config), str(config), "truncated gzip data (member 2 does not end)")


# --- row 14: xz, bzip2, zstd, UTF-16, NUL ------------------------------------


@pytest.mark.parametrize("compress", [lzma.compress, bz2.compress], ids=["xz", "bzip2"])
def test_xz_and_bzip2_configs_are_read(tmp_path: Path, compress) -> None:
    config = tmp_path / "config.packed"
    config.write_bytes(compress(CONFIG) + compress(NO_CRASH_DUMP))  # two streams, as xz and bzip2 -dc read
    result = _check(tmp_path, config, "--format", "json")
    assert result.returncode == 1 and "KC001" in _findings(result), result.stderr


def test_zstd_config_is_named(tmp_path: Path) -> None:
    zstd = shutil.which("zstd")
    if zstd is None:
        pytest.skip("zstd is not installed (apt-get install zstd)")
    config = tmp_path / "config.zst"
    config.write_bytes(subprocess.run([zstd, "-q", "-c"], input=CONFIG, capture_output=True, check=True).stdout)
    assert_error(_check(tmp_path, config), str(config), "zstd-compressed data holding no kernel config text; "
                                                      "if it is a compressed .config, decompress it first")


@pytest.mark.parametrize(("encoding", "found"), [("utf-16", "UTF-16LE"), ("utf-16-le", "UTF-16LE"),
                                                 ("utf-16-be", "UTF-16BE")])
def test_utf16_config_is_named(tmp_path: Path, encoding: str, found: str) -> None:
    config = tmp_path / "config"
    config.write_bytes(CONFIG.decode().encode(encoding))
    assert_error(_check(tmp_path, config), str(config), f"{found} text, not UTF-8; convert it first")


@pytest.mark.parametrize("option", ["--system-config", "--cmdline-file", "--kexec-file"])
def test_nul_byte_is_named_with_its_offset(tmp_path: Path, option: str) -> None:
    path = tmp_path / "input"
    head = CONFIG[:200] if option == "--system-config" else b"kexec -p /boot/vmlinuz\n"
    path.write_bytes(head + b"\0" + b"CONFIG_X=y\n")
    line = head.count(b"\n") + 1
    result = run_bounded("check", option, str(path), cwd=tmp_path)
    assert_error(result, str(path), f"NUL byte at offset {len(head)} (line {line}); binary data")


# --- row 5: long command lines ------------------------------------------------


def test_shell_splitting_is_linear_and_the_same_as_shlex() -> None:
    samples = ['kexec -p "a b" c\\ d \'e "f\' "g \\" \\\\ \\$h"', "a\\\nb", "  \t", "x'y'\"z\"w", ""]
    for text in samples:
        assert split_words(text) == shlex.split(text, comments=False, posix=True), text
    for bad in ['a "b', "a 'b", "a \\", 'a "b\\']:
        with pytest.raises(ValueError) as ours:
            split_words(bad)
        with pytest.raises(ValueError) as theirs:
            shlex.split(bad)
        assert str(ours.value) == str(theirs.value)
    started = time.process_time()
    assert len(split_words('kexec --append="' + "x" * 4_000_000 + '" k')[1]) == 4_000_009
    assert time.process_time() - started < 5  # shlex took minutes; a hang guard, not a speed test


def test_one_megabyte_append_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "kexec"
    path.write_text('kexec -p /boot/vmlinuz --append="' + "x" * (1 << 20) + '"\n')
    assert_error(run_bounded("check", "--kexec-file", str(path), cwd=tmp_path), str(path),
                 "larger than 64 KiB; too big to be a kexec command")
    command = 'kexec -p /boot/vmlinuz --append="' + "x" * 20_000 + '"'
    path.write_text(command + "\n")
    assert_error(run_bounded("check", "--kexec-file", str(path), cwd=tmp_path), str(path),
                 f"kexec command of {len(command)} bytes; longer than 16 KiB, and the kernel's COMMAND_LINE_SIZE is at most")
    assert_error(run_bounded("check", "--cmdline", "ro " + "quiet " * 3000, cwd=tmp_path), "--cmdline",
                 "kernel command line of 18003 bytes; longer than 16 KiB")


def test_long_values_are_abbreviated_in_messages(tmp_path: Path) -> None:
    """A 10 KB --append is named by KX rules' messages: its ends, not all of it, each time."""
    append = "root=/dev/sda1 " + "x" * 10_000
    result = run_bounded("check", "--system-config", str(OLD / "system.config"), "--cmdline",
                         "ro crashkernel=64M@16M", "--kexec", f'kexec -p /boot/vmlinux --append="{append}"',
                         cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "x" * 300 not in result.stdout and "characters]..." in result.stdout
    assert len(result.stdout) < 20_000


# --- rows 6 and 7: rule templates ---------------------------------------------

RULE = """[[rule]]
id = "XT014"
name = "template-test"
title = "A user rule whose message is under test"
severity = "error"
kernel = "boot"
why = "Issue 14 rows 6 and 7."
source = "tests"
check = {{ fact = "boot.param.never_there", present = true }}
message = {message}
{fix}
"""


def _rule(tmp_path: Path, message: str, fix: str = "") -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(RULE.format(message=message, fix=fix))
    return path


@pytest.mark.parametrize(("message", "fix", "reason"), [
    ('"{boot.param.root} and {boot.no_such}"', "", "message: unknown fact 'boot.no_such'"),
    ('"{boot.crashkernel.size|hexx}"', "", "unknown filter 'hexx' in {boot.crashkernel.size|hexx}"),
    ('"size is {boot.crashkernel.size"', "", "unbalanced '{' at character 8"),
    ('"size is boot.crashkernel.size}"', "", "unbalanced '}' at character 29"),
    ('"{ not a path }"', "", "{ not a path } at character 0 is not a fact path"),
    ('"a message long enough"', 'fix = { cmdline_add = ["x={boot.param.nosuch.thing|size}", "y={kexec.bogus}"] }',
     "fix.cmdline_add[1]: unknown fact 'kexec.bogus'"),
    ('"a message long enough"', 'fix = { config = { KEXEC = "{config.KEXEC" } }', "fix.config.KEXEC: unbalanced '{'"),
    ('"' + "{boot.param.root}" * 65 + '"', "", "more than 64 fields"),
])
def test_bad_template_is_a_rule_error_when_loaded(tmp_path: Path, message: str, fix: str, reason: str) -> None:
    path = _rule(tmp_path, message, fix)
    for args in (["rules", "--rules", str(path)],  # loading alone: no set-up needed
                 ["check", "--cmdline", "ro", "--rules", str(path)]):
        result = run_bounded(*args, cwd=tmp_path)
        assert_error(result, str(path), "rule XT014: ")
        assert reason in result.stderr, result.stderr


def test_message_repeating_a_large_fact_is_bounded(tmp_path: Path) -> None:
    """64 copies of a 16 KiB value was a MemoryError; now each is abbreviated and the whole is cut."""
    path = _rule(tmp_path, '"' + "{boot.param.big} " * 64 + '"')
    result = run_bounded("check", "--cmdline", "ro big=" + "y" * 16_000, "--rules", str(path), "--format", "json",
                         cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    import json

    message = next(f["message"] for f in json.loads(result.stdout)["findings"] if f["rule"] == "XT014")
    assert len(message) <= 4096 + 40 and message.endswith("[cut at 4096 characters]")


# --- row 13: the rule cache key covers kcheck's code ---------------------------


def test_rule_cache_is_rebuilt_when_kcheck_code_changes(tmp_path: Path) -> None:
    """Same version string, other code (upgraded from git, or edited): never the old pickle."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "kcheck", copy / "kcheck", ignore=shutil.ignore_patterns("__pycache__"))
    for data in ("rules", "schemas"):
        shutil.copytree(ROOT / data, copy / data)
    cache = tmp_path / "cache"
    env = dict(os.environ, PYTHONPATH=str(copy), KCHECK_CACHE_DIR=str(cache), PYTHONDONTWRITEBYTECODE="1")
    env.pop("KCHECK_NO_CACHE", None)

    def run() -> set[str]:
        done = subprocess.run([sys.executable, "-m", "kcheck", "rules"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return {p.name for p in (cache / "rules").glob("*.pickle")}

    first = run()
    assert len(first) == 1 and run() == first  # the second start is served from the cache
    predicates = copy / "kcheck" / "engine" / "predicates.py"
    stat = predicates.stat()
    predicates.write_text(predicates.read_text() + "\n# edited\n")
    os.utime(predicates, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime
    second = run()
    assert len(second) == 2 and first < second


def test_the_suite_uses_its_own_rule_cache() -> None:
    directory = os.environ.get("KCHECK_CACHE_DIR", "")
    assert directory and Path(directory).name.startswith("kcheck-test-cache-")
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    assert not Path(directory).is_relative_to(home / "kcheck")
