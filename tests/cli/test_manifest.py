"""--manifest: many set-ups in parallel processes, one report, exit status the worst target's."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from kcheck.app.batch import BatchOptions, load_manifest, run_batch
from kcheck.domain.errors import InputError
from kcheck.domain.findings import Severity
from tests.ci_common import OLD, SARIF_SCHEMA, broken_setup, run_kcheck
from tests.conftest import ROOT


def batch_validator() -> jsonschema.Draft202012Validator:
    schemas = {name: json.loads((ROOT / "schemas" / name).read_text())
               for name in ("report.schema.json", "batch-report.schema.json")}
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values())
    return jsonschema.Draft202012Validator(schemas["batch-report.schema.json"], registry=registry)


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """Three targets with paths relative to the manifest: good, broken, unreadable."""
    repo = tmp_path / "repo"
    (repo / "good").mkdir(parents=True)
    for name in ("system.config", "capture.config", "cmdline", "kexec"):
        shutil.copy(OLD / name, repo / "good" / name)
    (repo / "broken").mkdir()
    broken_setup(repo / "broken")
    path = repo / "kdump.toml"
    path.write_text('''
[[target]]
name = "good"
system_config = "good/system.config"
capture_config = "good/capture.config"
cmdline_file = "good/cmdline"
kexec_file = "good/kexec"

[[target]]
name = "broken"
system_config = "good/system.config"
capture_config = "broken/capture.config"
cmdline_file = "broken/cmdline"
kexec = "kexec -p /boot/vmlinux-kdump --args-linux --elf32-core-headers --append='root=/dev/hda1 1'"

[[target]]
name = "gone"
system_config = "missing/system.config"
''')
    return path


def test_text_report_has_each_target_and_a_summary_table(manifest: Path) -> None:
    result = run_kcheck("check", "--manifest", "kdump.toml", cwd=manifest.parent)
    assert result.returncode == 2, "an unreadable target makes the status 2"
    out = result.stdout
    assert out.index("== good ==") < out.index("== broken ==") < out.index("== gone ==")
    assert "broken/capture.config" in out and "KC007" in out
    table = out[out.index("target  "):].splitlines()
    assert table[1].split() == ["good", "0", "0", "ok"]
    assert table[2].split() == ["broken", "2", "2", "FAIL"]
    assert table[3].startswith("gone") and "error: missing/system.config:" in table[3]
    assert table[4] == "3 targets, 2 failed"


def test_json_batch_report_validates_and_matches_single_reports(manifest: Path) -> None:
    result = run_kcheck("check", "--manifest", "kdump.toml", "--format", "json", cwd=manifest.parent)
    batch = json.loads(result.stdout)
    batch_validator().validate(batch)
    assert [(t["name"], t["exit_status"]) for t in batch["targets"]] == [("good", 0), ("broken", 1), ("gone", 2)]
    assert batch["summary"] == {"targets": 3, "failed": 1, "unreadable": 1, "incomplete": 0, "exit_status": 2}
    gone = batch["targets"][2]
    assert gone["report"] is None and gone["error"].startswith("missing/system.config: ")
    single = json.loads(run_kcheck("check", "--system-config", "good/system.config", "--capture-config",
                                   "good/capture.config", "--cmdline-file", "good/cmdline",
                                   "--kexec-file", "good/kexec", "--format", "json", cwd=manifest.parent).stdout)
    assert batch["targets"][0]["report"]["findings"] == single["findings"]
    assert batch["targets"][0]["report"]["results"] == single["results"]


def test_paths_resolve_against_the_manifest_not_the_current_directory(manifest: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_kcheck("check", "--manifest", str(manifest), "--format", "json", cwd=elsewhere)
    batch = json.loads(result.stdout)
    assert batch["targets"][0]["report"]["inputs"]["system"]["config"] == str(manifest.parent / "good/system.config")


def test_sarif_has_one_run_with_every_target(manifest: Path) -> None:
    result = run_kcheck("check", "--manifest", "kdump.toml", "--format", "sarif", cwd=manifest.parent)
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    run, = log["runs"]
    assert {r["properties"]["target"] for r in run["results"]} == {"broken"}
    smp = next(r for r in run["results"] if r["ruleId"] == "KC007")
    assert smp["message"]["text"].startswith("[broken] ")
    assert smp["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken/capture.config"
    # the kexec command is written in the manifest: the finding points at the target's table there
    kexec = next(r for r in run["results"] if r["ruleId"] == "KX008")
    location = kexec["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "kdump.toml"
    assert manifest.read_text().splitlines()[location["region"]["startLine"] - 1] == "[[target]]"
    assert manifest.read_text().splitlines()[location["region"]["startLine"]] == 'name = "broken"'
    invocation, = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][-1]["level"] == "error"
    assert "[gone] missing/system.config" in invocation["toolExecutionNotifications"][-1]["message"]["text"]


def test_junit_has_a_suite_per_target_per_kernel(manifest: Path) -> None:
    result = run_kcheck("check", "--manifest", str(manifest), "--format", "junit", cwd=manifest.parent)
    root = ET.fromstring(result.stdout)
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names[:2] == ["good: system kernel", "good: capture kernel"]
    assert "broken: kexec command" in names and names[-1] == "gone"
    assert root.get("errors") == "1" and root.find("testsuite[@name='gone']/testcase/error") is not None
    assert int(root.get("failures", "0")) == 2


def test_parallel_and_serial_runs_agree(manifest: Path) -> None:
    targets = load_manifest(str(manifest))
    options = BatchOptions(fail_on=Severity.ERROR, source=str(manifest))
    serial = run_batch(targets, options, jobs=1)
    parallel = run_batch(targets, options, jobs=3)
    assert serial == parallel
    assert serial.exit_status == 2


def test_waivers_over_a_batch_are_stale_only_if_they_match_no_target(manifest: Path) -> None:
    waivers = manifest.parent / "waivers.toml"
    waivers.write_text('[[waiver]]\nrule = "KC007"\ntarget = "broken"\nreason = "tested"\n'
                       '[[waiver]]\nrule = "KC007"\ntarget = "good"\nreason = "nothing to waive"\n'
                       '[[waiver]]\nrule = "KB002"\nreason = "boot loader"\n')
    result = run_kcheck("check", "--manifest", str(manifest), "--waivers", str(waivers), "--format", "json",
                        cwd=manifest.parent)
    batch = json.loads(result.stdout)
    assert [(w["state"], w["matched"]) for w in batch["waivers"]] == [("applied", 1), ("stale", 0), ("applied", 1)]
    assert batch["targets"][1]["exit_status"] == 0, "both errors of 'broken' are waived"
    assert result.returncode == 2, "'gone' is still unreadable"


def test_the_shipped_example_manifest_and_waivers() -> None:
    result = run_kcheck("check", "--manifest", "fixtures/ci/manifest.toml", "--waivers", "fixtures/ci/waivers.toml",
                        "--jobs", "2")
    assert result.returncode == 1, result.stderr
    assert "waived: this board's capture kernel boots without irqpoll" in result.stdout
    assert "kdump-txt" in result.stdout.splitlines()[-3] and result.stdout.splitlines()[-3].endswith("ok")


@pytest.mark.parametrize(("text", "message"), [
    ('[[target]]\nname = "a"\nsystem_config = "x"\n[[target]]\nname = "a"\nsystem_config = "y"\n',
     "target[1].name: 'a' is used twice"),
    ('[[target]]\nname = "a"\nsystem = "x"\n', "Additional properties are not allowed ('system'"),
    ('[[target]]\nname = "a"\n', "target[0] (a): give at least system_config"),
    ('[[target]]\nsystem_config = "x"\n', "target[0]: 'name' is a required property"),
    ('target = 1\n', "target: 1 is not of type 'array'"),
])
def test_bad_manifests_are_one_error_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(message)):
        load_manifest(str(path))
    result = run_kcheck("check", "--manifest", str(path))
    assert result.returncode == 2 and result.stderr.startswith(f"kcheck: error: {path}: ")
    assert result.stderr.count("\n") == 1


def test_manifest_replaces_the_setup_options(manifest: Path) -> None:
    result = run_kcheck("check", "--manifest", str(manifest), "--system-config", str(OLD / "system.config"))
    assert result.returncode == 2 and "--manifest replaces the set-up options" in result.stderr


def test_output_never_overwrites_a_manifest_input(manifest: Path) -> None:
    result = run_kcheck("check", "--manifest", str(manifest), "--output", str(manifest.parent / "broken/cmdline"))
    assert result.returncode == 2 and "refusing to write output over an input file" in result.stderr
    assert (manifest.parent / "broken/cmdline").read_text() == "ro root=/dev/hda1 crashkernel=64M\n"
    out = manifest.parent / "report.sarif"
    assert run_kcheck("check", "--manifest", str(manifest), "--format", "sarif", "-o", str(out)).returncode == 2
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_a_broken_rule_file_is_one_error_for_the_whole_batch(manifest: Path) -> None:
    rules = manifest.parent / "bad-rules.toml"
    rules.write_text('[[rule]]\nid = "XT001"\n')
    result = run_kcheck("check", "--manifest", str(manifest), "--rules", str(rules))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"kcheck: error: {rules}: ") and result.stderr.count("\n") == 1


def test_a_batch_runs_with_pythons_collector_thresholds() -> None:
    """The kcheck process raises the collector's thresholds for one check's start-up
    (kcheck/__main__.py); a batch, which runs long, takes Python's own back (flat memory)."""
    import gc
    import subprocess
    import sys

    script = ("import gc, kcheck.__main__ as m; gc.set_threshold(200_000, 30, 30); "
              "from kcheck.app.batch_pool import BatchRun; from kcheck.app.target import BatchOptions; "
              "BatchRun(BatchOptions(), None, 1).start(); print(gc.get_threshold())")
    out = subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(ROOT)}, capture_output=True,
                         text=True, check=True, timeout=60).stdout
    assert out.strip() == str(gc.get_threshold()) == "(700, 10, 10)"
