"""Rule files and JSON reports are validated against their schemas."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from kcheck.engine.loader import bundled_rule_files, load_rules
from kcheck.domain.errors import RuleError
from tests.conftest import ROOT, as_args, run_kcheck

RULE_SCHEMA = json.loads((ROOT / "schemas" / "rule.schema.json").read_text())
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


@pytest.mark.parametrize("path", bundled_rule_files(), ids=lambda p: p.name)
def test_bundled_rule_files_match_the_schema(path: Path) -> None:
    jsonschema.Draft202012Validator(RULE_SCHEMA).validate(tomllib.loads(path.read_text()))


def test_schemas_are_valid_schemas() -> None:
    jsonschema.Draft202012Validator.check_schema(RULE_SCHEMA)
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)


def test_rule_ids_and_names_are_unique() -> None:
    rules = load_rules()
    assert len({r.id for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)


def test_json_report_matches_the_schema(old_setup: dict[str, str], tmp_path: Path) -> None:
    bad = dict(old_setup, **{"--kexec": "kexec -l vmlinux"})
    for options in (old_setup, bad):
        result = run_kcheck("check", *as_args(options), "--format", "json")
        report = json.loads(result.stdout)
        jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert report["findings"], "the broken set-up must produce findings"


GOOD_RULE = """
[[rule]]
id = "XT001"
name = "test-rule"
title = "A rule written by a user"
severity = "warning"
kernel = "system"
why = "Because tests need a rule that users could write."
source = "tests"
check = { config = "KEXEC", is = "y" }
message = "CONFIG_KEXEC is {config.KEXEC}"
"""


@pytest.mark.parametrize(("text", "where"), [
    (GOOD_RULE.replace('severity = "warning"', 'severity = "fatal"'), "rule[0].severity"),
    (GOOD_RULE.replace('id = "XT001"', 'id = "x1"'), "rule[0].id"),
    (GOOD_RULE.replace('check = { config = "KEXEC", is = "y" }', 'check = { config = "KEXEC" }'), "rule[0].check"),
    (GOOD_RULE.replace('why = "Because tests need a rule that users could write."\n', ""), "'why' is a required property"),
    (GOOD_RULE + "bogus = 1\n", "rule[0]"),
    ("[[rule]\nid=", "not valid TOML"),
    ("x = 1", "(top level)"),
    ("a = " + "[" * 2000 + "]" * 2000, "nested too deeply"),
])
def test_broken_user_rule_files_name_the_file_and_field(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(RuleError) as info:
        load_rules([str(path)])
    assert info.value.source == str(path)
    assert where in info.value.message


def test_user_rule_runs_and_duplicates_are_refused(tmp_path: Path, old_setup: dict[str, str]) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(GOOD_RULE)
    result = run_kcheck("check", "--system-config", old_setup["--capture-config"], "--rules", str(path),
                        "--format", "json", "--fail-on", "never")
    findings = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert "XT001" in findings and result.returncode == 0
    path.write_text(GOOD_RULE.replace("XT001", "KS001"))
    result = run_kcheck("check", "--system-config", old_setup["--capture-config"], "--rules", str(path))
    assert result.returncode == 2
    assert "already defined" in result.stderr
