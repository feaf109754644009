"""kcheck fleet on bad and hostile input: one line per file, the rest still rendered, exit 2 when nothing is."""

from __future__ import annotations

import copy
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kcheck import __version__

from fleet_helpers import preflight_report, run_measured, schema_validator, write_reports

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\x1b[31m\x07]]>&amp;\x00\ud800\u202eevil'


@pytest.fixture(scope="module")
def good() -> dict:
    return preflight_report("debian-healthy")


@pytest.fixture(scope="module")
def broken() -> dict:
    return preflight_report("debian-broken")


def one_error(done, path: Path, what: str) -> None:
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    assert done.stderr == f"kcheck: error: {path}: {what}\n"


@pytest.mark.parametrize("content, what", [
    ("{not json", "not JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
    ("", "not JSON (Expecting value at line 1 column 1)"),
    ("[1, 2]", "not a kcheck report (a JSON array, not an object)"),
    ('{"version": "2.1.0", "runs": []}', "not a kcheck report (a SARIF log; kcheck fleet reads --format json reports)"),
    ('{"tool": {"name": "trivy"}, "results": []}', "not a kcheck report (tool.name is 'trivy', not 'kcheck')"),
    ('{"changed": false, "ansible_facts": {}}', "not a kcheck report (no tool.name 'kcheck')"),
    ('{"tool": {"name": "kcheck", "version": "9.0", "schema_version": 2}}',
     "kcheck report schema_version 2 (kcheck 9.0) is not supported; this kcheck reads schema_version 1"),
    ('{"tool": {"name": "kcheck", "version": "0.1.0", "schema_version": 1}}',
     "malformed kcheck report: inputs: missing"),
    ("[" * 100000, "not a kcheck report (JSON nested too deeply)"),
    ("\x00\x01binary", "NUL byte at offset 0 (line 1); binary data, not a kcheck JSON report"),
])
def test_one_bad_file_is_one_line(kcheck, tmp_path, content, what):
    path = tmp_path / "bad.json"
    path.write_text(content)
    one_error(kcheck("fleet", str(path)), path, what)


def test_wrong_field_types_name_the_field(kcheck, tmp_path, good):
    for mutate, what in (
        (lambda r: r["verdict"].update(captures="yes"), "verdict.captures: unexpected string"),
        (lambda r: r["findings"].append(7), f"findings[{len(good['findings'])}]: expected an object, found a number"),
        (lambda r: r["inputs"]["host"]["crash_regions"][0].update(start=-5),
         "inputs.host.crash_regions[-1].start: -5 is out of range"),
        (lambda r: r["memory_map"]["areas"][0].update(size=10 ** 400),
         "memory_map.areas[0].size: " + "1" + "0" * 29 + " is out of range"),
    ):
        report = copy.deepcopy(good)
        mutate(report)
        path = tmp_path / "r.json"
        path.write_text(json.dumps(report))
        # The HTML page reads the memory map's areas too (the other formats skip them).
        one_error(kcheck("fleet", str(path), "--format", "html"), path, f"malformed kcheck report: {what}")


def test_empty_directory(kcheck, tmp_path):
    one_error(kcheck("fleet", str(tmp_path)), tmp_path, "no kcheck JSON reports (*.json) to roll up")


def test_missing_path_and_directory_of_other_files(kcheck, tmp_path):
    missing = tmp_path / "nope.json"
    one_error(kcheck("fleet", str(missing)), missing, "no such file")
    (tmp_path / "notes.txt").write_text("hello")
    one_error(kcheck("fleet", str(tmp_path)), tmp_path, "no kcheck JSON reports (*.json) to roll up")


def test_bad_files_are_listed_and_the_rest_rendered(kcheck, tmp_path, good, broken):
    directory = write_reports(tmp_path / "r", {"web1": good, "web2": broken})
    (directory / "trash.json").write_text("{")
    (directory / "other.json").write_text('{"tool": {"name": "kcheck", "version": "0.0.1", "schema_version": 7}}')
    done = kcheck("fleet", str(directory), "--format", "json")
    assert done.returncode == 2                      # an input could not be read: the report is still written
    errors = done.stderr.splitlines()
    assert errors == [
        f"kcheck: error: {directory / 'other.json'}: kcheck report schema_version 7 (kcheck 0.0.1) is not "
        "supported; this kcheck reads schema_version 1",
        f"kcheck: error: {directory / 'trash.json'}: not JSON (Expecting property name enclosed in double "
        "quotes at line 1 column 2)"]
    data = json.loads(done.stdout)
    schema_validator("fleet-report.schema.json").validate(data)
    assert [h["host"] for h in data["hosts"]] == ["web2", "web1"]
    assert [u["file"] for u in data["unreadable"]] == [str(directory / "other.json"), str(directory / "trash.json")]
    text = kcheck("fleet", str(directory))
    assert "2 report files could not be read:" in text.stdout


def test_only_bad_files_render_nothing(kcheck, tmp_path):
    (tmp_path / "a.json").write_text("nope")
    (tmp_path / "b.json").write_text("[]")
    out = tmp_path / "out.html"
    done = kcheck("fleet", str(tmp_path), "--format", "html", "--output", str(out))
    assert done.returncode == 2 and not out.exists()
    assert len(done.stderr.splitlines()) == 2


def test_reports_of_another_kcheck_version_are_rolled_up_and_named(kcheck, tmp_path, good, broken):
    older = copy.deepcopy(broken)
    older["tool"]["version"] = "0.0.9"
    older["future_field"] = {"added": "later"}       # new fields may be added within a schema version
    done = kcheck("fleet", str(write_reports(tmp_path / "r", {"new": good, "old": older})), "--format", "json")
    data = json.loads(done.stdout)
    assert data["versions"] == [{"version": "0.0.9", "hosts": 1}, {"version": __version__, "hosts": 1}]
    assert {h["host"]: h["kcheck_version"] for h in data["hosts"]} == {"new": __version__, "old": "0.0.9"}
    text = kcheck("fleet", str(tmp_path / "r")).stdout.splitlines()[0]
    assert text.endswith(f"(kcheck 0.0.9 (1), kcheck {__version__} (1))")


def hostile_report(good: dict) -> dict:
    report = copy.deepcopy(good)
    report["verdict"].update(captures=False, rule="KH002", reason=HOSTILE)
    report["inputs"]["host"]["release"] = HOSTILE
    report["inputs"]["host"]["service"] = HOSTILE
    report["memory_map"]["areas"][0]["name"] = HOSTILE
    report["findings"].append({"rule": "KH002", "severity": "error", "title": HOSTILE, "waived": None,
                               "kernel": "host", "message": HOSTILE})
    return report


def test_hostile_strings_are_escaped_in_every_format(kcheck, tmp_path, good):
    report = hostile_report(good)
    directory = tmp_path / "r"
    directory.mkdir()
    (directory / "evil.json").write_text(json.dumps({"host": HOSTILE, "report": report, "error": None}))
    text = kcheck("fleet", str(directory))
    assert text.returncode == 1, text.stderr
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout and "\x00" not in text.stdout
    assert "\\x1b[31m" in text.stdout
    assert "\u202e" not in text.stdout and "\\u202e" in text.stdout
    junit = kcheck("fleet", str(directory), "--format", "junit")
    root = ET.fromstring(junit.stdout)                       # it parses: no raw control characters
    assert "\u202e" not in junit.stdout
    case = root.find("testsuite/testcase")
    assert case.get("name").startswith("<script>alert(1)</script>")
    html = kcheck("fleet", str(directory), "--format", "html").stdout
    assert "<script>alert" not in html and "<img" not in html and "\x1b" not in html and "\u202e" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    data = json.loads(kcheck("fleet", str(directory), "--format", "json").stdout)
    assert data["hosts"][0]["host"] == HOSTILE


def test_ten_thousand_reports_bounded_memory_and_progress(kcheck, tmp_path, good, broken):
    """10,000 real reports (hard links of four) in one directory: flat memory, progress on stderr."""
    directory = tmp_path / "fleet"
    directory.mkdir()
    sources = []
    for name, report in (("good", good), ("broken", broken)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(report, indent=2))
        sources.append(path)
    for number in range(10_000):
        os.link(sources[number % 7 == 0], directory / f"host{number:05}.json")
    (directory / "host99999.json").write_text("garbage")
    done, peak = run_measured("fleet", str(directory), "--format", "json", "--output", str(tmp_path / "fleet.json"))
    assert done.returncode == 2                                  # the garbage file
    lines = done.stderr.splitlines()
    assert [line for line in lines if line.startswith("kcheck: error:")] == [
        f"kcheck: error: {directory / 'host99999.json'}: not JSON (Expecting value at line 1 column 1)"]
    progress = [line for line in lines if line.startswith("kcheck fleet: ")]
    assert progress[0] == "kcheck fleet: 1000/10001 reports read" and len(progress) == 10
    data = json.loads((tmp_path / "fleet.json").read_text())
    assert data["summary"]["hosts"] == 10_000 and data["summary"]["will_not_capture"] == 1429
    assert peak < 200 * 1024 * 1024, peak
