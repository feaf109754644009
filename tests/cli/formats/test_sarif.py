"""--format sarif: valid SARIF 2.1.0 (the OASIS schema), rules from the rule files, exact lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kcheck.engine.loader import load_rules
from tests.ci_common import OLD, SARIF_SCHEMA, broken_setup, good_args, run_kcheck


def validate_sarif(log: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert not errors, errors


def sarif(*args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any]]:
    result = run_kcheck("check", *args, "--format", "sarif", cwd=cwd)
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def results_by_rule(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


def test_the_schema_is_the_oasis_2_1_0_schema() -> None:
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    assert SARIF_SCHEMA["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    # the validator really rejects what the standard forbids
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "2.1.0", "runs": [{"results": []}]}, SARIF_SCHEMA)


def test_broken_setup_is_valid_sarif_with_file_and_line(tmp_path: Path) -> None:
    broken = broken_setup(tmp_path)
    status, log = sarif(*broken.args, cwd=tmp_path)
    assert status == 1
    validate_sarif(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    found = results_by_rule(log)
    assert set(found) == {"KC007", "KC006", "KB002", "KX008"}
    smp = found["KC007"]["locations"][0]["physicalLocation"]
    # paths below the current directory are relative, as code scanning needs
    assert smp["artifactLocation"]["uri"] == "capture.config"
    assert smp["region"]["startLine"] == broken.smp_line
    assert (tmp_path / "capture.config").read_text().splitlines()[broken.smp_line - 1] == "CONFIG_SMP=y"
    boot = found["KB002"]["locations"][0]["physicalLocation"]
    assert boot["artifactLocation"]["uri"] == "cmdline" and boot["region"]["startLine"] == 1
    kexec = found["KX008"]["locations"][0]["physicalLocation"]
    assert kexec["artifactLocation"]["uri"] == "kexec"


def test_levels_and_rule_descriptors(tmp_path: Path) -> None:
    _, log = sarif(*broken_setup(tmp_path).args, cwd=tmp_path)
    driver = log["runs"][0]["tool"]["driver"]
    rules = [r for r in load_rules() if r.concerns != "host"]  # host rules: preflight only
    assert [r["id"] for r in driver["rules"]] == [r.id for r in rules]
    by_id = {r.id: r for r in rules}
    for descriptor in driver["rules"]:
        rule = by_id[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.title
        assert descriptor["fullDescription"]["text"] == " ".join(rule.why.split())
        assert rule.source in descriptor["help"]["text"]
        assert descriptor["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning",
                                                               "info": "note"}[rule.severity.label]
    found = results_by_rule(log)
    assert found["KC007"]["level"] == "error" and found["KC006"]["level"] == "warning"
    for result in log["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert "suppressions" not in result


def test_paths_outside_the_current_directory_are_file_uris(tmp_path: Path) -> None:
    config = tmp_path / "system.config"
    config.write_text((OLD / "capture.config").read_text())  # no KEXEC: KS001
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, log = sarif("--system-config", str(config), cwd=elsewhere)
    validate_sarif(log)
    location = results_by_rule(log)["KS001"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == config.as_uri()
    assert location["region"]["startLine"] == config.read_text().splitlines().index("# CONFIG_KEXEC is not set") + 1


def test_inputs_given_as_text_have_a_logical_location() -> None:
    status, log = sarif("--system-config", str(OLD / "system.config"), "--capture-config",
                        str(OLD / "capture.config"), "--kexec", "kexec -l /boot/vmlinux")
    validate_sarif(log)
    location = results_by_rule(log)["KX001"]["locations"][0]
    assert "physicalLocation" not in location
    assert location["logicalLocations"][0]["name"] == "--kexec"


def test_clean_setup_has_no_results_and_is_valid() -> None:
    status, log = sarif(*good_args())
    assert status == 0
    validate_sarif(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_waived_finding_is_kept_with_a_suppression(tmp_path: Path) -> None:
    broken = broken_setup(tmp_path)
    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\nrule = "KC007"\nreason = "SMP capture kernel tested on this board"\n'
                       '[[waiver]]\nrule = "KS001"\nreason = "nothing fails this"\n')
    _, log = sarif(*broken.args, "--waivers", str(waivers), cwd=tmp_path)
    validate_sarif(log)
    waived = results_by_rule(log)["KC007"]
    assert waived["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "SMP capture kernel tested on this board"}]
    notes = log["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
    assert len(notes) == 1 and "KS001" in notes[0]["message"]["text"] and "stale" in notes[0]["message"]["text"]
