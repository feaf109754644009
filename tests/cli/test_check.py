"""The command as users run it: reports, exit statuses, errors, outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import ROOT, as_args, run_kcheck


def test_correct_2613_setup_checks_clean(old_setup: dict[str, str]) -> None:
    result = run_kcheck("check", *as_args(old_setup))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 0 errors, 0 warnings" in result.stdout
    assert result.stderr == ""


def test_broken_setup_groups_findings_by_kernel(old_setup: dict[str, str]) -> None:
    options = dict(old_setup, **{"--capture-config": old_setup["--system-config"]})
    result = run_kcheck("check", *as_args(options))
    assert result.returncode == 1
    out = result.stdout
    assert out.index("Capture kernel") < out.index("KC001")
    assert "CONFIG_CRASH_DUMP is not set" in out
    assert "fix: CONFIG_CRASH_DUMP=y in the capture kernel" in out
    assert "\033[" not in out, "no colour when stdout is not a terminal"


@pytest.mark.parametrize(("fail_on", "status"), [("error", 0), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_decides_the_exit_status(old_setup: dict[str, str], fail_on: str, status: int) -> None:
    # drop irqpoll: one warning, no error
    options = dict(old_setup, **{"--kexec": old_setup["--kexec"].replace(" irqpoll", "")})
    result = run_kcheck("check", *as_args(options), "--fail-on", fail_on)
    assert result.returncode == status, result.stdout
    assert "KX008" in result.stdout


def test_errors_are_counted_with_fail_on_never(old_setup: dict[str, str]) -> None:
    options = dict(old_setup, **{"--kexec": "kexec -l vmlinux"})
    assert run_kcheck("check", *as_args(options), "--fail-on", "never").returncode == 0
    assert run_kcheck("check", *as_args(options)).returncode == 1


def test_capture_config_omitted_means_same_kernel(old_setup: dict[str, str]) -> None:
    result = run_kcheck("check", "--system-config", old_setup["--capture-config"], "--format", "json")
    report = json.loads(result.stdout)
    assert report["inputs"]["same_kernel"] is True
    rules = {f["rule"] for f in report["findings"]}
    assert "KS001" in rules  # the capture config has no KEXEC, and now it is the system kernel too


def test_json_finding_fields(old_setup: dict[str, str]) -> None:
    options = dict(old_setup, **{"--capture-config": old_setup["--system-config"]})
    report = json.loads(run_kcheck("check", *as_args(options), "--format", "json").stdout)
    finding = next(f for f in report["findings"] if f["rule"] == "KC001")
    assert finding["symbols"] == ["CONFIG_CRASH_DUMP"]
    assert finding["fix"] == {"config": {"CONFIG_CRASH_DUMP": "y"}, "config_kernel": "capture"}
    assert finding["reference"] == "kdump.txt SETUP 2.B.a"
    assert finding["location"]["path"].endswith("system.config")
    assert report["inputs"]["capture"]["version"] == "2.6.13"
    assert report["inputs"]["capture"]["arch"] == "i386"


def test_kernel_version_override_silences_old_rules(old_setup: dict[str, str]) -> None:
    options = dict(old_setup, **{"--capture-config": old_setup["--system-config"]})
    old = json.loads(run_kcheck("check", *as_args(options), "--format", "json").stdout)
    new = json.loads(run_kcheck("check", *as_args(options), "--format", "json",
                                "--kernel-version", "6.1").stdout)
    assert "KC007" in {f["rule"] for f in old["findings"]}
    assert "KC007" not in {f["rule"] for f in new["findings"]}
    assert new["inputs"]["system"]["version_source"] == "--kernel-version"


def test_unknown_version_is_noted_and_version_rules_skip(tmp_path: Path, old_setup: dict[str, str]) -> None:
    headerless = tmp_path / "headerless.config"
    text = Path(old_setup["--capture-config"]).read_text()
    headerless.write_text("\n".join(l for l in text.splitlines() if "version" not in l) + "\n")
    result = run_kcheck("check", "--system-config", str(headerless), "--format", "json")
    report = json.loads(result.stdout)
    assert report["inputs"]["system"]["version"] is None
    assert any("version unknown" in note for note in report["notes"])
    skipped = [r for r in report["results"] if r["status"] == "skip"]
    assert any("version unknown" in (r["reason"] or "") for r in skipped)


def test_output_file_is_written_atomically_and_never_over_an_input(tmp_path: Path, old_setup: dict[str, str]) -> None:
    target = tmp_path / "report.json"
    result = run_kcheck("check", *as_args(old_setup), "--format", "json", "--output", str(target))
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(target.read_text())["tool"]["name"] == "kcheck"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".kcheck-")]
    before = Path(old_setup["--system-config"]).read_bytes()
    result = run_kcheck("check", *as_args(old_setup), "--output", old_setup["--system-config"])
    assert result.returncode == 2
    assert "refusing to write output over an input" in result.stderr
    assert Path(old_setup["--system-config"]).read_bytes() == before


@pytest.mark.parametrize(("args", "message"), [
    (["check", "--system-config", "/nonexistent/config"], "/nonexistent/config: no such file"),
    (["check", "--system-config", "/dev/zero"], "/dev/zero: not a regular file"),
    (["check", "--system-config", "/"], "/: is a directory"),
    (["check", "--system-config", "fixtures/2.6.13/system.config", "--kexec", "kexec -p 'x"], "--kexec: cannot split"),
    (["check", "--system-config", "fixtures/2.6.13/system.config", "--memory", "lots"], "--memory: 'lots' is not a size"),
    (["check", "--system-config", "fixtures/2.6.13/system.config", "--kernel-version", "new"], "--kernel-version"),
    (["check", "--system-config", "fixtures/2.6.13/system.config", "--arch", "vax"], "--arch: unknown architecture"),
    (["check", "--system-config", "fixtures/2.6.13/system.config", "--cmdline", "a", "--cmdline-file", "b"], "not both"),
    (["check", "--format", "xml", "--system-config", "fixtures/2.6.13/system.config"], "--format"),
    (["check"], "give at least --system-config"),
    (["check", "--no-such-option"], "No such option"),
    (["explain", "KZ999"], "KZ999: no such rule"),
])
def test_bad_input_is_one_line_and_status_2(args: list[str], message: str) -> None:
    result = run_kcheck(*args)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kcheck: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = run_kcheck("check", "--system-config", str(fifo))
    assert result.returncode == 2 and "not a regular file" in result.stderr


def test_rules_and_explain() -> None:
    listing = run_kcheck("rules").stdout
    assert "KC005" in listing and "capture-physical-start-mismatch" in listing
    page = run_kcheck("explain", "capture-smp-enabled").stdout
    for heading in ("KC007", "## Why it matters", "## Example", "## Fix", "Source: kdump.txt SETUP 2.B.d"):
        assert heading in page
    as_json = json.loads(run_kcheck("rules", "--format", "json").stdout)
    assert {"id", "name", "title", "severity", "kernel", "versions", "arch", "source"} <= set(as_json[0])


def test_output_is_complete_when_the_process_ends_without_teardown(tmp_path: Path) -> None:
    """``kcheck`` ends with os._exit after flushing: a report to a file or pipe loses nothing."""
    import subprocess
    import sys

    listing = subprocess.run([sys.executable, "-m", "kcheck", "rules", "--format", "json"],
                             capture_output=True, check=False, env=_checkout_env())
    assert listing.returncode == 0 and listing.stderr == b""
    rules = json.loads(listing.stdout)
    assert len(rules) > 50 and listing.stdout.endswith(b"\n")
    with open(tmp_path / "page.txt", "wb") as sink:  # a page smaller than one stdio buffer
        subprocess.run([sys.executable, "-m", "kcheck", "explain", "KC001"], stdout=sink, check=True,
                       env=_checkout_env())
    page = (tmp_path / "page.txt").read_text()
    assert page.startswith("KC001 ") and "\nDefined in " in page and page.endswith(".toml\n")


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    """``kcheck ... | head -c 10``: nothing on stderr, status 1 at most (EPIPE, as Python advises)."""
    import subprocess
    import sys

    configs = [str(p) for p in sorted((ROOT / "fixtures").rglob("*.config"))][:8]
    with subprocess.Popen([sys.executable, "-m", "kcheck", "lint-configs", *configs, "--format", "sarif",
                           "--fail-on", "never"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=_checkout_env()) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        head = proc.stdout.read(10)
        proc.stdout.close()
        stderr = proc.stderr.read()
    status = proc.wait(timeout=60)
    # 1 when kcheck sees EPIPE; 0 when the kernel took a partial write and the
    # rest was never asked for.  Never a traceback, never Python's
    # "Exception ignored ... BrokenPipeError" at exit (status 120).
    assert status in (0, 1) and head.startswith(b"{") and stderr == b"", (status, stderr[-300:])


def _checkout_env() -> dict[str, str]:
    from tests.conftest import ROOT

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONUNBUFFERED", None)  # stdout buffered, as users run kcheck
    return env
