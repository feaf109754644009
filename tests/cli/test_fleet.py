"""kcheck fleet: the roll-up of real pre-flight and --manifest reports, in every format."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kcheck import __version__

from fleet_helpers import HOSTS, ROOT, TREES, preflight_report, schema_validator, write_reports


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    return {tree: preflight_report(tree) for tree in TREES}


@pytest.fixture
def fleet_dir(tmp_path: Path, reports: dict[str, dict]) -> Path:
    return write_reports(tmp_path / "reports", reports)


def test_preflight_reports_carry_the_host_memory_map(reports):
    healthy = reports["debian-healthy"]["memory_map"]
    region = next(a for a in healthy["areas"] if a["name"] == "crashkernel region")
    assert (region["start"], region["size"]) == (0xA3000000, 128 << 20)   # /proc/iomem's Crash kernel
    kernel = next(a for a in healthy["areas"] if a["name"].startswith("capture kernel"))
    assert kernel["start"] == region["start"] and kernel["size"] == 0x3F98000  # init_size
    assert healthy["conflicts"] == []
    broken = reports["fedora-broken"]["memory_map"]
    assert broken["needed"] > broken["region_size"] == 64 << 20
    assert any("kexec needs" in c for c in broken["conflicts"])
    assert reports["debian-broken"]["memory_map"]["conflicts"] == [
        "no crash kernel region: the reservation failed"]
    validator = schema_validator("report.schema.json")
    for report in reports.values():
        validator.validate(report)


def test_text_rollup_groups_by_verdict_and_reason(kcheck, fleet_dir):
    done = kcheck("fleet", str(fleet_dir))
    assert done.returncode == 1, done.stderr       # two hosts will not capture
    lines = done.stdout.splitlines()
    assert lines[0] == f"kcheck fleet: 4 hosts from 4 of 4 report files (kcheck {__version__})"
    assert lines[1].startswith("  2 hosts will NOT capture: 1 ")
    assert "(KH002)" in lines[1] and "(KH007)" in lines[1]
    assert lines[2] == "  2 hosts will capture"
    rows = [line for line in lines if line.startswith(TREES)]
    assert [row.split()[0] for row in rows] == ["debian-broken", "fedora-broken", "debian-healthy",
                                                "fedora-healthy"]
    assert "128M@0xa3000000" in rows[2] and "kdump-tools" in rows[2]
    assert "64M@0x67000000" in rows[1] and "KH007" in rows[1]
    assert done.stderr == ""


def test_json_rollup_follows_its_schema(kcheck, fleet_dir):
    done = kcheck("fleet", str(fleet_dir), "--format", "json", "--fail-on", "never")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    schema_validator("fleet-report.schema.json").validate(data)
    assert data["summary"] == {"hosts": 4, "files": 4, "unreadable": 0, "will_not_capture": 2,
                               "incomplete": 0, "unchecked": 0, "captures": 2, "exit_status": 0}
    assert {(g["rule"], g["count"]) for g in data["by_reason"]} == {("KH002", 1), ("KH007", 1)}
    hosts = {h["host"]: h for h in data["hosts"]}
    assert hosts["fedora-healthy"]["region"] == {"start": 0x5B000000, "size": 256 << 20}
    assert hosts["debian-broken"]["region"] is None and hosts["debian-broken"]["crashkernel"] == "384M-:128M"
    assert hosts["fedora-broken"]["service"] == "kdumpctl"
    assert data["by_verdict"][0]["text"].startswith("2 hosts will NOT capture: 1 ")


def test_counts_at_fleet_scale(kcheck, tmp_path, reports):
    """30 reservation failures and 7 broken regions read as one sentence."""
    many = {f"web{n:02}": reports["debian-broken"] for n in range(30)}
    many.update({f"db{n}": reports["fedora-broken"] for n in range(7)})
    many.update({f"ok{n}": reports["fedora-healthy"] for n in range(3)})
    done = kcheck("fleet", str(write_reports(tmp_path / "r", many)), "--format", "json")
    data = json.loads(done.stdout)
    assert [(g["verdict"], g["count"]) for g in data["by_verdict"]] == [("will-not-capture", 37), ("captures", 3)]
    assert data["by_verdict"][0]["text"] == (
        "37 hosts will NOT capture: 30 crashkernel= was requested but no memory is reserved (KH002), "
        "7 Crash region is smaller than the capture kernel and initrd (KH007)")


def test_junit_has_one_testcase_per_host(kcheck, fleet_dir):
    done = kcheck("fleet", str(fleet_dir), "--format", "junit")
    root = ET.fromstring(done.stdout)
    cases = root.findall("testsuite/testcase")
    assert sorted(c.get("name") for c in cases) == sorted(TREES)
    failures = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failures) == {"debian-broken", "fedora-broken"}
    assert failures["debian-broken"].get("type") == "KH002"
    assert root.get("tests") == "4" and root.get("failures") == "2"
    warning = kcheck("fleet", str(fleet_dir), "--format", "junit", "--fail-on", "warning")
    # debian-healthy warns KH015 (Debian 12: makedumpfile 1.7.2 knows kernels up to 6.0.1); fedora-healthy none
    assert ET.fromstring(warning.stdout).get("failures") == "3"
    never = kcheck("fleet", str(fleet_dir), "--format", "junit", "--fail-on", "never")
    assert never.returncode == 0 and ET.fromstring(never.stdout).get("failures") == "0"


class _Page(HTMLParser):
    """What the HTML page holds: its rows, pictures, scripts and anything that loads a resource."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.svgs = 0
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tr" and "class" in attributes:
            self.rows.append(attributes)
        if tag == "svg":
            self.svgs += 1
        if tag == "script":
            self.scripts.append(attributes)
        for name, value in attrs:
            if name in ("src", "href") or (name == "style" and "url(" in (value or "")):
                self.links.append(f"{tag} {name}={value}")
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")


def test_html_page_is_self_contained(kcheck, fleet_dir, tmp_path):
    out = tmp_path / "fleet.html"
    done = kcheck("fleet", str(fleet_dir), "--format", "html", "--output", str(out))
    assert done.returncode == 1 and done.stdout == ""
    page = _Page()
    page.feed(out.read_text())
    assert len(page.rows) == 4 and page.svgs == 4
    assert [r["class"] for r in page.rows] == ["v-will-not-capture", "v-will-not-capture",
                                               "v-captures", "v-captures"]
    assert page.scripts == [{}] and page.links == [] and page.handlers == []
    assert "Content-Security-Policy" in out.read_text()


def test_manifest_report_feeds_the_rollup(kcheck, tmp_path, reports):
    """kcheck check --manifest output: one row per target, beside host reports."""
    batch = kcheck("check", "--manifest", str(ROOT / "fixtures/ci/manifest.toml"), "--format", "json")
    assert batch.returncode in (0, 1), batch.stderr
    directory = tmp_path / "mixed"
    directory.mkdir()
    (directory / "kernels.json").write_text(batch.stdout)
    (directory / "web1.json").write_text(json.dumps(reports["debian-healthy"]))
    done = kcheck("fleet", str(directory), "--format", "json")
    data = json.loads(done.stdout)
    hosts = {h["host"]: h for h in data["hosts"]}
    targets = [t["name"] for t in json.loads(batch.stdout)["targets"]]
    assert set(hosts) == {*targets, "web1"}
    assert hosts["kdump-txt"]["verdict"] == "captures" and hosts["kdump-txt"]["kind"] == "check"
    assert hosts["kdump-txt"]["source"].endswith("kernels.json#kdump-txt")
    bad = hosts["no-capture-kernel"]
    assert bad["verdict"] == "will-not-capture" and bad["rule"] and bad["reason"]
    assert hosts["web1"]["kind"] == "preflight"


def test_host_entries_of_the_playbook(kcheck, tmp_path, reports):
    """{"host", "report", "error"}: the module's report under the inventory name, or why there is none."""
    directory = tmp_path / "entries"
    directory.mkdir()
    (directory / "a.json").write_text(json.dumps({"host": "web42", "report": reports["fedora-broken"],
                                                  "error": None}))
    (directory / "b.json").write_text(json.dumps({"host": "db7", "report": None,
                                                  "error": "kcheck is not installed on this host"}))
    data = json.loads(kcheck("fleet", str(directory), "--format", "json").stdout)
    hosts = {h["host"]: h for h in data["hosts"]}
    assert hosts["web42"]["rule"] == "KH007"
    assert hosts["db7"]["verdict"] == "unchecked"
    assert hosts["db7"]["reason"] == "kcheck is not installed on this host"
    assert data["summary"]["unchecked"] == 1


def test_incomplete_verdict_never_reads_as_capturing(kcheck, tmp_path, reports):
    """/proc/iomem read without root: kcheck cannot tell, and the roll-up says so."""
    from preflight_helpers import copy_tree

    tree = copy_tree(HOSTS / "debian-healthy", tmp_path / "noroot")
    iomem = tree / "proc" / "iomem"
    iomem.write_text(re.sub(r"^( *)[0-9a-f]+-[0-9a-f]+ :", r"\g<1>00000000-00000000 :",
                            iomem.read_text(), flags=re.M))
    directory = tmp_path / "r"
    directory.mkdir()
    done = kcheck("preflight", "--root", str(tree), "--format", "json", "--output", str(directory / "noroot.json"))
    assert json.loads((directory / "noroot.json").read_text())["verdict"]["captures"] is None, done.stderr
    (directory / "ok.json").write_text(json.dumps(reports["debian-healthy"]))
    done = kcheck("fleet", str(directory), "--format", "json")
    assert done.returncode == 1
    hosts = {h["host"]: h for h in json.loads(done.stdout)["hosts"]}
    assert hosts["noroot"]["verdict"] == "incomplete" and hosts["ok"]["verdict"] == "captures"
    assert hosts["noroot"]["reason"].startswith("some rules could not be judged: RAM size unknown")
    text = kcheck("fleet", str(directory)).stdout
    assert "1 host could not be fully judged: 1 some rules could not be judged: RAM size unknown" in text


def test_output_never_replaces_a_report(kcheck, fleet_dir):
    target = fleet_dir / "debian-healthy.json"
    before = target.read_bytes()
    done = kcheck("fleet", str(fleet_dir), "--output", str(target))
    assert done.returncode == 2
    assert done.stderr.startswith("kcheck: error: ") and "over an input" in done.stderr
    assert target.read_bytes() == before
