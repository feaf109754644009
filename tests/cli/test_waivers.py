"""Waivers: applied, kernel- and target-specific, expired, stale; bad waiver files are one error line."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import jsonschema
import pytest

from kcheck.domain.errors import InputError
from kcheck.domain.findings import Severity
from kcheck.app.pipeline import CheckRequest, run_check
from kcheck.app.waivers import Waiver, apply_waivers, load_waivers
from tests.ci_common import broken_setup, run_kcheck
from tests.conftest import ROOT

TODAY = datetime.date(2025, 6, 1)
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


@pytest.fixture
def broken_report(tmp_path: Path):
    b = broken_setup(tmp_path)
    args = dict(zip(b.args[::2], b.args[1::2]))
    return run_check(CheckRequest(system_config=args["--system-config"], capture_config=args["--capture-config"],
                                  cmdline_file=args["--cmdline-file"], kexec_file=args["--kexec-file"]))


def waived(report) -> dict[str, str | None]:
    return {f.rule: f.waived for f in report.findings}


def test_a_waiver_marks_its_finding_and_leaves_the_others(broken_report) -> None:
    report = apply_waivers(broken_report, [Waiver("KC007", "tested SMP capture", "w waiver[0]")], today=TODAY)
    assert waived(report) == {"KC007": "tested SMP capture", "KC006": None, "KB002": None, "KX008": None}
    assert len(report.findings) == len(broken_report.findings), "a waived finding stays in the report"
    assert [(w.state, w.matched) for w in report.waivers] == [("applied", 1)]
    assert broken_report.exit_status(Severity.ERROR) == 1
    assert report.exit_status(Severity.ERROR) == 1, "KB002 is still an error"
    both = apply_waivers(report, [Waiver("crashkernel-reserves-nothing", "boot loader sets it", "w waiver[1]")], today=TODAY)
    assert both.exit_status(Severity.ERROR) == 0 and both.exit_status(Severity.WARNING) == 1
    assert both.worst(include_waived=True) is Severity.ERROR


def test_kernel_and_target_narrow_a_waiver(broken_report) -> None:
    waivers = [Waiver("KX008", "r", "w waiver[0]", concerns="capture"),   # KX008 is about the kexec command
               Waiver("KX008", "r", "w waiver[1]", concerns="kexec", target="web-01")]
    report = apply_waivers(broken_report, waivers, target="db-01", today=TODAY)
    assert waived(report)["KX008"] is None
    assert [w.state for w in report.waivers] == ["stale", "stale"]
    report = apply_waivers(broken_report, waivers, target="web-01", today=TODAY)
    assert waived(report)["KX008"] == "r"
    assert [w.state for w in report.waivers] == ["stale", "applied"]


@pytest.mark.parametrize(("expires", "applies"), [
    (datetime.date(2025, 5, 31), False), (datetime.date(2025, 6, 1), True), (datetime.date(2030, 1, 1), True)])
def test_expired_waivers_stop_applying_and_say_so(broken_report, expires: datetime.date, applies: bool) -> None:
    report = apply_waivers(broken_report, [Waiver("KC007", "r", "w waiver[0]", expires=expires)], today=TODAY)
    assert (waived(report)["KC007"] == "r") is applies
    status = report.waivers[0]
    assert status.state == ("applied" if applies else "expired")
    if not applies:
        assert status.describe() == f"waiver w waiver[0] for KC007 expired on {expires.isoformat()}: not applied"


def test_load_waivers_reads_toml_dates_and_names(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[[waiver]]\nrule = "KX008"\nkernel = "kexec"\nreason = " why "\nexpires = 2026-01-31\n'
                    '[[waiver]]\nrule = "capture-smp-enabled"\nreason = "r"\nexpires = "2026-02-01"\n')
    first, second = load_waivers(str(path))
    assert first == Waiver("KX008", "why", f"{path} waiver[0]", concerns="kexec", expires=datetime.date(2026, 1, 31))
    assert second.expires == datetime.date(2026, 2, 1)


def test_concerns_is_the_waiver_key_and_kernel_its_old_name(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[[waiver]]\nrule = "KX008"\nconcerns = "kexec"\nreason = "r"\n'
                    '[[waiver]]\nrule = "KX008"\nkernel = "kexec"\nreason = "r"\n')
    new, old = load_waivers(str(path))
    assert new.concerns == old.concerns == "kexec"
    path.write_text('[[waiver]]\nrule = "KX008"\nconcerns = "kexec"\nkernel = "boot"\nreason = "r"\n')
    with pytest.raises(InputError, match="disagree"):
        load_waivers(str(path))


@pytest.mark.parametrize(("text", "message"), [
    ('[[waiver]]\nrule = "KX008"\n', "waiver[0]: 'reason' is a required property"),
    ('[[waiver]]\nrule = "KX008"\nreason = ""\n', "waiver[0].reason: '' does not match"),
    ('[[waiver]]\nrule = "KX008"\nreason = "r"\nkernel = "initrd"\n', "waiver[0].kernel: 'initrd' is not one of"),
    ('[[waiver]]\nrule = "KX008"\nreason = "r"\nexpires = 2025-01-01T10:00:00\n', "waiver[0].expires: '2025-01-01T10:00:00'"),
    ('[[waiver]]\nrule = "KX008"\nreason = "r"\nexpires = "2025-02-30"\n', "waiver[0].expires: '2025-02-30' is not a date"),
    ('[[waiver]]\nrule = "KX008"\nreason = "r"\nuntil = 2025-01-01\n', "Additional properties are not allowed ('until'"),
    ('[[waivers]]\nrule = "KX008"\n', "(top level): 'waiver' is a required property"),
    ('[[waiver]\n', "not valid TOML"),
])
def test_bad_waiver_files_are_one_error_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_waivers(str(path))
    assert message in str(error.value) and str(error.value).startswith(str(path))
    result = run_kcheck("check", "--system-config", str(ROOT / "fixtures/2.6.13/system.config"),
                        "--waivers", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"kcheck: error: {path}: ")


def test_cli_waivers_in_text_and_json(tmp_path: Path) -> None:
    b = broken_setup(tmp_path)
    path = tmp_path / "w.toml"
    path.write_text('[[waiver]]\nrule = "KC007"\nreason = "SMP tested"\n'
                    '[[waiver]]\nrule = "KB002"\nreason = "set by the boot loader"\nexpires = 2001-01-01\n'
                    '[[waiver]]\nrule = "KS001"\nreason = "never fires here"\n')
    text = run_kcheck("check", *b.args, "--waivers", str(path))
    assert text.returncode == 1, "the expired waiver does not hide KB002"
    assert "waived: SMP tested" in text.stdout
    assert f"warning: waiver {path} waiver[1] for KB002 expired on 2001-01-01: not applied" in text.stdout
    assert f"warning: waiver {path} waiver[2] for KS001 matches no finding (stale): remove it" in text.stdout
    assert "2 errors" not in text.stdout and "1 errors, 2 warnings, 0 info, 1 waived" in text.stdout
    report = json.loads(run_kcheck("check", *b.args, "--waivers", str(path), "--format", "json").stdout)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert [(w["rule"], w["state"], w["matched"]) for w in report["waivers"]] == [
        ("KC007", "applied", 1), ("KB002", "expired", 0), ("KS001", "stale", 0)]
    assert {f["rule"]: f["waived"] for f in report["findings"]}["KC007"] == "SMP tested"
    assert report["summary"]["waived"] == 1


def test_waiving_every_error_makes_the_check_pass(tmp_path: Path) -> None:
    b = broken_setup(tmp_path)
    path = tmp_path / "w.toml"
    path.write_text('[[waiver]]\nrule = "KC007"\nreason = "a"\n[[waiver]]\nrule = "KB002"\nreason = "b"\n')
    assert run_kcheck("check", *b.args, "--waivers", str(path)).returncode == 0
    assert run_kcheck("check", *b.args, "--waivers", str(path), "--fail-on", "warning").returncode == 1
