"""Hostile input found by fuzzing or the bad-input table, each kept as a regression test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT


OLD_CONFIG = ROOT / "fixtures" / "2.6.13" / "system.config"


def _deep_predicate_rule(depth: int) -> str:
    predicate = '{ config = "KEXEC", is = "y" }'
    for _ in range(depth):
        predicate = "{ not = " + predicate + " }"
    return ('[[rule]]\nid = "XX001"\nname = "deep-rule"\ntitle = "A rule nested very deep"\n'
            'severity = "error"\nkernel = "system"\nwhy = "a predicate nested hundreds of levels deep"\n'
            f'source = "kdump.txt"\nmessage = "a message long enough"\ncheck = {predicate}\n')


def test_deeply_nested_rule_file_is_an_error_not_a_recursion_traceback(tmp_path: Path) -> None:
    """jsonschema recursed ~10 frames per level: 200 nested `not` gave RecursionError."""
    from tests.conftest import run_kcheck

    rules = tmp_path / "deep.toml"
    rules.write_text(_deep_predicate_rule(300))
    result = run_kcheck("rules", "--rules", str(rules))
    assert result.returncode == 2
    assert result.stderr == f"kcheck: error: {rules}: nested more than 64 levels deep\n"


def test_nesting_below_the_limit_still_loads(tmp_path: Path) -> None:
    from kcheck.engine.loader import load_rules

    rules = tmp_path / "deep.toml"
    rules.write_text(_deep_predicate_rule(55))
    assert [rule.id for rule in load_rules([str(rules)], bundled=False)] == ["XX001"]


def test_deeply_nested_waiver_file_is_an_input_error(tmp_path: Path) -> None:
    from kcheck.domain.errors import InputError
    from kcheck.app.waivers import load_waivers

    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\nrule = "KB001"\nreason = "why not"\nx = ' + "[" * 300 + "]" * 300 + "\n")
    with pytest.raises(InputError, match="nested more than 64 levels deep"):
        load_waivers(str(waivers))


def test_manifest_path_with_a_nul_byte_is_a_target_error(tmp_path: Path) -> None:
    """os.stat raised ValueError("embedded null byte"): a traceback from a worker."""
    from tests.conftest import run_kcheck

    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[[target]]\nname = "a"\nsystem_config = "x\\u0000y"\n')
    result = run_kcheck("check", "--manifest", str(manifest), "--format", "json")
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert "the path contains a NUL byte" in result.stdout


def test_nul_in_a_path_is_an_input_error() -> None:
    from kcheck.domain.errors import InputError
    from kcheck.inputs.files import check_regular
    from kcheck.inputs.image import identify

    for reader in (check_regular, identify):
        with pytest.raises(InputError, match="the path contains a NUL byte"):
            reader("config\0x")


def test_shell_settings_parse_in_linear_time() -> None:
    """Every statement sliced the rest of the file: 1 MiB of A=1 lines took minutes."""
    import time

    from kcheck.inputs.shellconf import parse_shell_vars

    text = "A=$B\n" * (1024 * 1024 // 5)
    started = time.monotonic()
    parsed = parse_shell_vars(text, {"B": "x"})
    assert parsed.values["A"] == "x"
    assert time.monotonic() - started < 30  # a hang guard: ~2 s here, ~130 s before the fix


def test_shell_expansion_bomb_is_bounded() -> None:
    """A="$A$A" forty times asked for 2**40 characters (MemoryError or swap)."""
    from kcheck.inputs.shellconf import EXPANSION_BUDGET, parse_shell_vars

    parsed = parse_shell_vars("A=x\n" + 'A="$A$A"\n' * 40)
    assert len(parsed.values["A"]) <= EXPANSION_BUDGET
    assert any("variable expansions exceed 16 MiB" in warning for warning in parsed.warnings)
    small = parse_shell_vars("A=x\n" + 'A="$A$A"\n' * 10)
    assert small.values["A"] == "x" * 1024 and not small.warnings


@pytest.mark.parametrize("fmt", ["text", "junit", "github", "json"])
def test_non_utf8_option_text_is_written_back_as_bytes(tmp_path: Path, fmt: str) -> None:
    """--cmdline with a raw 0xff byte: UnicodeEncodeError traceback and a .kcheck-* temp file left."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    out = tmp_path / "report"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8:strict")
    args = [os.fsencode(sys.executable), b"-m", b"kcheck", b"check", b"--system-config", os.fsencode(OLD_CONFIG),
            b"--cmdline", b"ro crashkernel=64M\xff@16M", b"--format", fmt.encode()]
    for extra in ([b"-o", os.fsencode(out)], []):
        result = subprocess.run(args + extra, capture_output=True, env=env, cwd=tmp_path, timeout=120)
        assert b"Traceback" not in result.stderr, result.stderr.decode(errors="replace")
        assert result.returncode in (0, 1)
        written = out.read_bytes() if extra else result.stdout
        # JSON escapes it as \udcff; the text outputs show it as \xff (issue 14: no raw
        # byte that is not UTF-8 reaches a terminal, a log or an XML parser).
        assert b"\xff" not in written
        if fmt != "json":
            assert b"\\xff" in written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_capture_image_with_a_tiny_program_header_size_is_not_a_traceback() -> None:
    """imagesize read p_memsz past the 64-byte head when e_phentsize was forged to 1."""
    import struct

    from kcheck.inputs.imagesize import image_memory

    head = bytearray(0x40)
    head[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", head, 0x20, 0x30)  # e_phoff
    struct.pack_into("<HH", head, 0x36, 1, 16)  # e_phentsize 1, e_phnum 16
    assert image_memory(bytes(head), 4096).how == "file size"


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_preflight_config_that_is_not_a_file_is_named(tmp_path: Path, kind: str) -> None:
    """A FIFO at /boot/config-R was skipped and reported as "no config found"."""
    import os
    import shutil

    from tests.conftest import FIXTURES, run_kcheck

    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "hosts" / "debian-healthy", root, symlinks=True)
    config = root / "boot" / "config-6.1.0-56-amd64"
    config.unlink()
    os.mkfifo(config) if kind == "fifo" else config.mkdir()
    result = run_kcheck("preflight", "--root", str(root))
    assert result.returncode == 2
    reason = "not a regular file" if kind == "fifo" else "is a directory"
    assert result.stderr.startswith(f"kcheck: error: {config}: {reason}")


def test_toml_date_where_a_string_is_expected(tmp_path: Path) -> None:
    """The schema saw dates as ISO strings, the loaders the date: date.strip() / os.path.join(date)."""
    from tests.conftest import run_kcheck

    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\nrule = "KB001"\nreason = 2000-01-01\n')
    result = run_kcheck("check", "--cmdline", "ro", "--waivers", str(waivers))
    assert "Traceback" not in result.stderr and result.returncode == 0
    assert "waived: 2000-01-01" in result.stdout  # the date, read as the reason text
    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[[target]]\nname = 2000-01-01\nsystem_config = 2000-01-02\n')
    result = run_kcheck("check", "--manifest", str(manifest))
    assert "Traceback" not in result.stderr and result.returncode == 2
    assert "2000-01-02: no such file" in result.stdout


def _user_rule(tmp_path: Path, check: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nid = "XX001"\nname = "user-rule"\ntitle = "A user rule title"\nseverity = "error"\n'
                    'kernel = "system"\nwhy = "a user rule with a typo in it"\nsource = "tests"\n'
                    f'check = {check}\nmessage = "the user rule failed"\n')
    return path


def test_user_rule_with_an_unknown_fact_is_a_rule_error(tmp_path: Path) -> None:
    """Setup.lookup raised KeyError('kexec.a') out of the engine."""
    from tests.conftest import run_kcheck

    rules = _user_rule(tmp_path, '{ fact = "kexec.a", is = true }')
    result = run_kcheck("check", "--system-config", str(OLD_CONFIG), "--kexec", "kexec -p /boot/x",
                        "--rules", str(rules))
    assert result.returncode == 2
    assert result.stderr == f"kcheck: error: {rules}: rule XX001: unknown fact 'kexec.a' (see 'kcheck facts')\n"


def test_contains_on_a_boolean_fact_cannot_decide(tmp_path: Path) -> None:
    """`contains` on kexec.panic (a bool) raised TypeError: argument of type 'bool' is not iterable."""
    from kcheck.engine.evaluate import evaluate
    from kcheck.engine.loader import load_rules
    from kcheck.domain.findings import Status
    from kcheck.app.pipeline import CheckRequest, read_setup

    rules = load_rules([str(_user_rule(tmp_path, '{ fact = "kexec.panic", contains = "p" }'))], bundled=False)
    setup = read_setup(CheckRequest(system_config=str(OLD_CONFIG), kexec="kexec -p /boot/x"))
    (result,) = evaluate(rules, setup)
    assert result.status is Status.SKIP and result.reason == "cannot decide: kexec.panic is True, not text or a list"


def test_config_string_value_with_a_carriage_return_or_form_feed() -> None:
    """str.splitlines() cut CONFIG_X="a\\rb" in two; kconfig's getline() ends lines at \\n only."""
    from kcheck.inputs.kconfig import parse_config_text

    config = parse_config_text('CONFIG_CMDLINE="a\rb\x0cc"\r\nCONFIG_X=y\r\n', "x")
    assert config.values == {"CMDLINE": "a\rb\x0cc", "X": "y"} and config.lines == {"CMDLINE": 1, "X": 2}
    assert config.warnings == ()


def test_preflight_report_never_replaces_the_hosts_settings(tmp_path: Path) -> None:
    """preflight -o only refused --waivers/--rules: it overwrote /etc/default/kdump-tools with its report."""
    import shutil

    from tests.conftest import FIXTURES, run_kcheck

    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "hosts" / "debian-healthy", root, symlinks=True)
    settings = root / "etc" / "default" / "kdump-tools"
    before = settings.read_bytes()
    result = run_kcheck("preflight", "--root", str(root), "-o", str(settings))
    assert result.returncode == 2
    assert result.stderr == f"kcheck: error: {settings}: refusing to write output over an input file\n"
    assert settings.read_bytes() == before


def test_atomic_output_keeps_the_usual_file_mode(tmp_path: Path) -> None:
    """mkstemp() made every report 0600, and replacing a 0644 report made it 0600."""
    import os
    import stat

    from kcheck.app.output import write_atomic

    fresh = tmp_path / "fresh.txt"
    mask = os.umask(0o022)
    try:
        write_atomic(str(fresh), "x\n")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    kept = tmp_path / "kept.txt"
    kept.write_text("old\n")
    kept.chmod(0o640)
    write_atomic(str(kept), "new\n")
    assert kept.read_text() == "new\n" and stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_config_full_of_junk_lines_is_linear_and_noted_briefly() -> None:
    """Each junk line's number was counted from the file start (80,000 lines: 48 s) and noted
    separately (a 30 MB file: a million notes, a 290 MB JSON report, 1 GB of memory)."""
    import time

    from kcheck.inputs.kconfig import MAX_LINE_WARNINGS, parse_config_text

    for text in ("CONFIG_X=y\n" + "garbage line\n" * 200_000,
                 "CONFIG_X=y\nCONFIG_X=n\njunk\n" * 100_000):  # duplicates take the line-by-line reader
        started = time.monotonic()
        config = parse_config_text(text, "x")
        assert time.monotonic() - started < 30  # a hang guard: under a second here
        assert len(config.warnings) <= 2 * MAX_LINE_WARNINGS + 2
    assert config.warnings[-1] == f"{100_000 - MAX_LINE_WARNINGS} more lines that are not config assignments ignored"
    first = parse_config_text("CONFIG_X=y\n" + "garbage line\n" * 30, "x").warnings
    assert first[0] == "line 2: ignoring a line that is not a config assignment: 'garbage line'"
    assert first[MAX_LINE_WARNINGS - 1].startswith(f"line {MAX_LINE_WARNINGS + 1}: ")
    assert first[-1] == "10 more lines that are not config assignments ignored"


def test_manifest_table_lines_are_counted_in_linear_time(tmp_path: Path) -> None:
    """Each [[target]]'s line was counted from the file start: 100,000 targets took 146 s."""
    import time

    from kcheck.app.batch import _table_lines

    manifest = tmp_path / "manifest.toml"
    manifest.write_text("".join(f'[[target]]\nname = "t{i}"\ncmdline = "ro"\n' for i in range(100_000)))
    started = time.monotonic()
    lines = _table_lines(str(manifest))
    assert time.monotonic() - started < 30  # a hang guard: 0.2 s here
    assert lines == list(range(1, 300_000, 3))


def test_ikconfig_stream_search_shares_one_output_budget(tmp_path: Path) -> None:
    """Each candidate stream had its own cap: 64 streams just under it were 64 times the work."""
    import gzip
    import struct

    from kcheck.inputs.image import extract_ikconfig
    from kcheck.inputs.image.compression import DecompressionLimitError

    head = bytearray(0x200)
    struct.pack_into("<I", head, 0x24, 0x016F2818)  # arm zImage: searched stream by stream
    struct.pack_into("<I", head, 0x30, 0x04030201)
    image = tmp_path / "zImage"
    image.write_bytes(bytes(head) + gzip.compress(bytes(2 << 20), mtime=0) * 64)
    with pytest.raises(DecompressionLimitError, match="compressed streams decompress to more than 16777216 bytes in all"):
        extract_ikconfig(str(image), payload_limit=16 << 20)
    assert extract_ikconfig(str(image), payload_limit=256 << 20) is None  # within budget: searched, none found


@pytest.mark.parametrize("path", ["boot.crashkernel", "boot.kaslr.on", "boot.param", "kexec.append",
                                  "kexec.append.bogus", "kexec.append.text.more", "kexec.option",
                                  "kexec.panic.now", "system.config", "capture.version.major",
                                  "system.image", "setup.memory.total"])
def test_a_fact_path_of_the_wrong_shape_is_an_error_in_the_rule_file(tmp_path: Path, path: str) -> None:
    """fuzz_rules: ``fact = "boot.crashkernel"`` (no leaf) was an IndexError traceback; every
    path shorter or longer than its fact is now "unknown fact" in the rule's file, found by
    the fact catalogue when the file is loaded, and by the set-up's lookup when asked."""
    from kcheck.engine.loader import load_rules
    from kcheck.domain.errors import RuleError
    from kcheck.app.pipeline import CheckRequest, read_setup

    old = OLD_CONFIG.parent
    setup = read_setup(CheckRequest(system_config=str(OLD_CONFIG), capture_config=str(old / "capture.config"),
                                    cmdline_file=str(old / "cmdline"), kexec_file=str(old / "kexec"),
                                    memory="1G"))
    rule_file = tmp_path / "mine.toml"
    rule_file.write_text(f"""[[rule]]
id = "XF001"
name = "fact-shape"
title = "A rule that names a fact path of the wrong shape"
severity = "error"
kernel = "system"
why = "The engine must say which fact is unknown, in which file."
source = "tests"
check = {{ not = {{ fact = "{path}", is = false }} }}
message = "never shown"
""")
    with pytest.raises(RuleError, match=f"mine.toml: rule XF001: unknown fact '{path}'"):
        load_rules([str(rule_file)], bundled=False)
    with pytest.raises(KeyError):
        setup.lookup(path)
    for bare in ("setup", "boot", "kexec", "system", path.split(".")[0]):  # below the schema's pattern
        with pytest.raises(KeyError):
            setup.lookup(bare)
