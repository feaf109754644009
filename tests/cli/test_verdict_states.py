"""Verdict states: a report is complete, or says plainly in every format that it is not.

A rule that may apply but that the inputs cannot judge (unknown version or
architecture, no boot command line, no kexec command) makes the report
INCOMPLETE; a rule outside its versions or architectures does not.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from tests.ci_common import OLD, good_args, run_kcheck
from tests.conftest import FIXTURES, ROOT
from tests.cli.test_manifest import batch_validator
from tests.cli.formats.test_sarif import validate_sarif

REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
MODERN = FIXTURES / "ci" / "x86_64-6.1.config"  # a correct 6.1 kernel: no errors alone
SYSTEM_ONLY = ("--system-config", str(MODERN))
INCOMPLETE_LINE = re.compile(r"^INCOMPLETE: (\d+) rules could not be judged \(no boot command line; no kexec command\)")


def headless_capture(tmp_path: Path) -> Path:
    """The 2.6.13 capture config without its header and first symbols (CONFIG_X86=y, CONFIG_MMU=y ...),
    made an SMP kernel (an error KC007 would report if it knew the version and arch)."""
    lines = (OLD / "capture.config").read_text().splitlines()
    lines = lines[lines.index("CONFIG_EXPERIMENTAL=y"):]
    lines[lines.index("# CONFIG_SMP is not set")] = "CONFIG_SMP=y"
    path = tmp_path / "capture.config"
    path.write_text("\n".join(lines) + "\n")
    return path


def headless_args(tmp_path: Path) -> tuple[str, ...]:
    args = list(good_args())
    args[args.index("--capture-config") + 1] = str(headless_capture(tmp_path))
    return tuple(args)


def test_a_complete_report_says_ok() -> None:
    result = run_kcheck("check", *good_args())
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1].startswith("OK: 0 errors")
    report = json.loads(run_kcheck("check", *good_args(), "--format", "json").stdout)
    assert report["summary"]["complete"] is True and report["summary"]["verdict"] == "ok"
    assert report["summary"]["undecided"] == 0 and report["summary"]["undecided_causes"] == []
    # Rules outside their version range (2.6.20+ on 2.6.13) are judged: they do not apply.
    assert any(r["status"] == "skip" and "outside" in r["reason"] and r["undecided"] is None
               for r in report["results"])
    assert run_kcheck("check", *good_args(), "--require-complete").returncode == 0


def test_missing_inputs_make_the_text_report_incomplete_never_ok() -> None:
    result = run_kcheck("check", *SYSTEM_ONLY)
    last = result.stdout.splitlines()[-1]
    match = INCOMPLETE_LINE.match(last)
    assert match and int(match.group(1)) > 20, last
    assert not re.search(r"^OK", result.stdout, re.M)
    assert result.returncode == 0, "without --require-complete an incomplete check is not a failure"
    assert run_kcheck("check", *SYSTEM_ONLY, "--require-complete").returncode == 1


def test_unknown_architecture_and_version_are_incomplete(tmp_path: Path) -> None:
    args = headless_args(tmp_path)
    result = run_kcheck("check", *args)
    last = result.stdout.splitlines()[-1]
    assert last.startswith("INCOMPLETE: ") and "capture kernel version unknown" in last, last
    assert not re.search(r"^OK", result.stdout, re.M)
    assert run_kcheck("check", *args, "--require-complete").returncode == 1
    # Told the architecture and version, the same set-up is judged, and fails on KC007.
    told = run_kcheck("check", *args, "--arch", "i386", "--kernel-version", "2.6.13")
    assert told.returncode == 1 and "KC007" in told.stdout and "INCOMPLETE" not in told.stdout


def test_errors_and_incompleteness_are_both_reported() -> None:
    result = run_kcheck("check", "--system-config", str(OLD / "system.config"))
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[-2].startswith("FAIL: ") and INCOMPLETE_LINE.match(lines[-1]), lines[-2:]


def test_json_report_carries_completeness_and_validates() -> None:
    report = json.loads(run_kcheck("check", *SYSTEM_ONLY, "--format", "json").stdout)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    summary = report["summary"]
    assert summary["complete"] is False and summary["verdict"] in ("incomplete", "fail")
    assert summary["undecided_causes"] == ["no boot command line", "no kexec command"]
    undecided = [r for r in report["results"] if r["undecided"]]
    assert len(undecided) == summary["undecided"] and all(r["status"] == "skip" for r in undecided)
    assert INCOMPLETE_LINE.match(summary["text"])


def test_sarif_says_incomplete_in_the_invocation() -> None:
    for extra, level in (((), "warning"), (("--require-complete",), "error")):
        result = run_kcheck("check", *SYSTEM_ONLY, "--format", "sarif", *extra)
        log = json.loads(result.stdout)
        validate_sarif(log)
        invocation = log["runs"][0]["invocations"][0]
        assert invocation["properties"]["complete"] is False
        assert invocation["properties"]["undecidedCauses"] == ["no boot command line", "no kexec command"]
        notes = [n for n in invocation["toolExecutionNotifications"] if n["message"]["text"].startswith("INCOMPLETE")]
        assert len(notes) == 1 and notes[0]["level"] == level
    complete = json.loads(run_kcheck("check", *good_args(), "--format", "sarif").stdout)
    assert complete["runs"][0]["invocations"][0]["properties"]["complete"] is True


def test_junit_marks_undecided_rules_and_fails_under_require_complete() -> None:
    root = ET.fromstring(run_kcheck("check", *SYSTEM_ONLY, "--format", "junit").stdout)
    skipped = [s.get("message", "") for s in root.iter("skipped")]
    assert any(m.startswith("not judged: needs --kexec") for m in skipped)
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "completeness")
    assert INCOMPLETE_LINE.match(suite.find("testcase/skipped").get("message"))
    strict = ET.fromstring(run_kcheck("check", *SYSTEM_ONLY, "--format", "junit", "--require-complete").stdout)
    failure = next(s for s in strict.iter("testsuite") if s.get("name") == "completeness").find("testcase/failure")
    assert failure is not None and failure.get("type") == "incomplete" and "KX001: needs --kexec" in failure.text
    complete = ET.fromstring(run_kcheck("check", *good_args(), "--format", "junit").stdout)
    assert not [s for s in complete.iter("testsuite") if s.get("name") == "completeness"]


def test_github_annotation_says_incomplete() -> None:
    lines = run_kcheck("check", *SYSTEM_ONLY, "--format", "github").stdout.splitlines()
    warning = [line for line in lines if line.startswith("::warning title=kcheck%3A incomplete check::")]
    assert len(warning) == 1 and "INCOMPLETE: " in warning[0]
    assert "INCOMPLETE: " in lines[-1]
    strict = run_kcheck("check", *SYSTEM_ONLY, "--format", "github", "--require-complete").stdout
    assert "::error title=kcheck%3A incomplete check::INCOMPLETE: " in strict


def test_manifest_targets_show_incomplete(tmp_path: Path) -> None:
    manifest = tmp_path / "kdump.toml"
    manifest.write_text(
        "[[target]]\n"
        f'name = "whole"\nsystem_config = "{OLD / "system.config"}"\ncapture_config = "{OLD / "capture.config"}"\n'
        f'cmdline_file = "{OLD / "cmdline"}"\nkexec_file = "{OLD / "kexec"}"\n'
        "[[target]]\n"
        f'name = "config-only"\nsystem_config = "{MODERN}"\n')
    result = run_kcheck("check", "--manifest", str(manifest))
    rows = {line.split()[0]: line.split()[-1] for line in result.stdout.splitlines()
            if line.startswith(("whole ", "config-only "))}
    assert rows == {"whole": "ok", "config-only": "incomplete"}
    batch = json.loads(run_kcheck("check", "--manifest", str(manifest), "--format", "json").stdout)
    batch_validator().validate(batch)
    assert batch["summary"]["incomplete"] == 1
    assert [t["report"]["summary"]["complete"] for t in batch["targets"]] == [True, False]


def test_lint_configs_leaves_boot_line_and_kexec_out_of_scope(tmp_path: Path) -> None:
    result = run_kcheck("lint-configs", str(MODERN), "--require-complete")
    assert result.returncode == 0 and "INCOMPLETE" not in result.stdout
    # A version it cannot know is still undecided, even there.
    result = run_kcheck("lint-configs", str(headless_capture(tmp_path)), "--require-complete")
    assert result.returncode == 1 and "INCOMPLETE: " in result.stdout and "kernel version unknown" in result.stdout


def test_headless_2_6_13_config_has_its_arch_from_its_own_symbols(tmp_path: Path) -> None:
    """Without CONFIG_X86=y the 2.6.x i386 symbols (X86_PC, M686, HIGHMEM4G, X86_UP_APIC) still say i386:
    given only the version, the SMP capture kernel is judged and fails KC007."""
    args = headless_args(tmp_path)
    report = json.loads(run_kcheck("check", *args, "--kernel-version", "2.6.13", "--format", "json").stdout)
    assert report["inputs"]["capture"]["arch"] == "i386"
    assert report["inputs"]["capture"]["arch_source"].startswith("config symbols (CONFIG_")
    assert "KC007" in {f["rule"] for f in report["findings"]}


def test_a_small_region_without_the_capture_image_is_never_ok() -> None:
    """crashkernel=40M on a 64-bit 6.1 kernel: only the image can tell whether a capture kernel
    runs there (Debian's needs 88M+, rehearsed), so without it the report is INCOMPLETE."""
    kexec = "kexec -p /boot/vmlinuz --initrd=/boot/initrd.img --append='root=/dev/sda1 1 irqpoll nr_cpus=1 reset_devices'"
    args = (*SYSTEM_ONLY, "--kexec", kexec)
    small = run_kcheck("check", *args, "--cmdline", "root=/dev/sda1 ro crashkernel=40M")
    last = small.stdout.splitlines()[-1]
    assert last.startswith("INCOMPLETE: ") and "depends on its image" in last, small.stdout
    assert run_kcheck("check", *args, "--cmdline", "root=/dev/sda1 ro crashkernel=40M",
                      "--require-complete").returncode == 1
    big = run_kcheck("check", *args, "--cmdline", "root=/dev/sda1 ro crashkernel=256M")
    assert "depends on its image" not in big.stdout
