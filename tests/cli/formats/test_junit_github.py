"""--format junit (GitLab, Jenkins) and --format github (workflow-command annotations)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcheck.engine.loader import load_rules
from kcheck.reporters.escape import workflow_data as escape_data
from kcheck.reporters.escape import workflow_property as escape_property
from kcheck.reporters.github import command
from tests.ci_common import broken_setup, good_args, run_kcheck

RULE_COUNT = len([r for r in load_rules() if r.concerns != "host"])  # host rules: preflight only


def junit(*args: str, cwd: Path | None = None) -> tuple[int, ET.Element]:
    result = run_kcheck("check", *args, "--format", "junit", cwd=cwd)
    assert result.stderr == "", result.stderr
    assert result.stdout.startswith("<?xml")
    return result.returncode, ET.fromstring(result.stdout)


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", "").split()[0]: case for case in root.iter("testcase")}


def check_counts(root: ET.Element) -> None:
    """The counts GitLab and Jenkins read agree with the elements."""
    assert root.tag == "testsuites"
    for key, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        for suite in root.findall("testsuite"):
            assert int(suite.get(key, "-1")) == sum(1 for c in suite.findall("testcase") if c.find(tag) is not None)
        assert int(root.get(key, "-1")) == sum(int(s.get(key, "0")) for s in root.findall("testsuite"))
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))
        assert suite.get("name")
        for case in suite.findall("testcase"):
            assert case.get("name") and case.get("classname") and case.get("time") == "0"
    assert int(root.get("tests", "-1")) == sum(int(s.get("tests", "0")) for s in root.findall("testsuite"))


@pytest.mark.parametrize(("fail_on", "failing"), [
    ("error", {"KC007", "KB002"}),
    ("warning", {"KC007", "KB002", "KC006", "KX008"}),
    ("never", set()),
])
def test_failures_only_at_or_above_fail_on(tmp_path: Path, fail_on: str, failing: set[str]) -> None:
    broken = broken_setup(tmp_path)
    status, root = junit(*broken.args, "--fail-on", fail_on, cwd=tmp_path)
    check_counts(root)
    assert int(root.get("tests", "0")) == RULE_COUNT, "one test case per rule evaluated"
    by_rule = cases(root)
    assert {rule for rule, case in by_rule.items() if case.find("failure") is not None} == failing
    assert status == (1 if failing else 0)
    for rule in {"KC007", "KB002", "KC006", "KX008"} - failing:
        assert by_rule[rule].find("failure") is None
        assert by_rule[rule].findtext("system-out", "").split(":")[0] in ("error", "warning"), \
            "findings below the threshold still show"


def test_suites_are_per_kernel_and_failures_carry_the_location(tmp_path: Path) -> None:
    broken = broken_setup(tmp_path)
    _, root = junit(*broken.args, cwd=tmp_path)
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "system kernel", "capture kernel", "boot command line", "kexec command"]
    smp = cases(root)["KC007"]
    failure = smp.find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert failure.get("message", "").startswith("KC007: CONFIG_SMP is y")
    assert smp.get("file") == "capture.config" and smp.get("line") == str(broken.smp_line)
    assert smp.get("classname") == "kcheck.capture"


def test_skipped_rules_and_waived_findings(tmp_path: Path) -> None:
    broken = broken_setup(tmp_path)
    waivers = tmp_path / "w.toml"
    waivers.write_text('[[waiver]]\nrule = "KB002"\nreason = "crashkernel= is set by the boot loader"\n')
    status, root = junit(*broken.args, "--waivers", str(waivers), cwd=tmp_path)
    check_counts(root)
    skipped = cases(root)["KB002"].find("skipped")
    assert skipped is not None and skipped.get("message") == "waived: crashkernel= is set by the boot loader"
    assert status == 1, "KC007 is still an error"
    not_applicable = [c for c in root.iter("testcase") if (c.find("skipped") is not None
                      and c.find("skipped").get("message", "").startswith("not applicable"))]
    assert not_applicable, "rules that did not apply are skipped with the reason"


def test_clean_setup_passes_everything() -> None:
    status, root = junit(*good_args())
    check_counts(root)
    assert status == 0 and root.get("failures") == "0" and root.get("errors") == "0"


ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([a-z]+=[^,:]*(?:,[a-z]+=[^,:]*)*))?::(.*)$")


def test_github_annotations_point_at_lines(tmp_path: Path) -> None:
    broken = broken_setup(tmp_path)
    result = run_kcheck("check", *broken.args, "--format", "github", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    annotations = [ANNOTATION.match(line) for line in lines if line.startswith("::")]
    assert all(annotations) and len(annotations) == 4
    parsed = {}
    for match in annotations:
        assert match is not None
        props = dict(item.split("=", 1) for item in match.group(2).split(","))
        parsed[props["title"].split()[0]] = (match.group(1), props, match.group(3))
    level, props, message = parsed["KC007"]
    assert level == "error" and props["file"] == "capture.config" and props["line"] == str(broken.smp_line)
    assert props["title"].startswith("KC007 capture-smp-enabled%3A ")   # ':' escaped in a property
    assert "%0Afix: " in message                                          # newline escaped in the message
    assert parsed["KX008"][0] == "warning" and parsed["KX008"][1]["file"] == "kexec"
    assert lines[-1] == "kcheck: 2 errors, 2 warnings, 0 info, 0 waived"


def test_github_waived_findings_become_notices(tmp_path: Path) -> None:
    broken = broken_setup(tmp_path)
    waivers = tmp_path / "w.toml"
    waivers.write_text('[[waiver]]\nrule = "KC007"\nreason = "100% tested, really: yes"\n')
    result = run_kcheck("check", *broken.args, "--format", "github", "--waivers", str(waivers), cwd=tmp_path)
    line = next(line for line in result.stdout.splitlines() if "KC007" in line)
    assert line.startswith("::notice ")
    assert "::waived (100%25 tested, really: yes): CONFIG_SMP is y" in line


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert command("warning", "m", file="x,y.config", line=3, col=None) == "::warning file=x%2Cy.config,line=3::m"
    assert command("error", "only a message") == "::error::only a message"


def _unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


# Other control characters are shown as escapes (never raw in a log), so the
# round trip holds for text without them.
@given(st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs")) | st.sampled_from("\r\n")))
def test_escaped_properties_round_trip_and_cannot_break_the_command(text: str) -> None:
    escaped = escape_property(text)
    assert not set(escaped) & {",", ":", "\r", "\n"}
    assert _unescape(escaped) == text
    data = escape_data(text)
    assert "\n" not in data and "\r" not in data and _unescape(data) == text
