"""The README's Fleets section matches the playbook, the module and kcheck fleet's real output."""

from __future__ import annotations

import json
import re

import yaml

from conftest import ROOT, run_kcheck
from fleet_helpers import preflight_report, write_reports

README = (ROOT / "README.md").read_text()
FLEETS = README[README.index("\n## Fleets\n"):README.index("\n## Rules\n")]
PLAYBOOK = (ROOT / "ansible" / "playbooks" / "preflight.yml").read_text()
#: The playbook's own registered results and internal names, not settings.
INTERNAL = {"kcheck_preflight", "kcheck_reports", "kcheck_command", "kcheck_outputs", "kcheck_old_reports",
            "kcheck_rollup"}


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", FLEETS, re.S)


def test_inventory_variables_are_the_playbooks() -> None:
    table = set(re.findall(r"`(kcheck_[a-z_]+)`", FLEETS.split("### The playbook")[0]))
    used = set(re.findall(r"\b(kcheck_[a-z_]+)\b", PLAYBOOK)) - INTERNAL
    assert table == used
    header = set(re.findall(r"^#\s+(kcheck_[a-z_]+)", PLAYBOOK, re.M))
    assert header == used                                    # the playbook's own comment lists them all


def test_module_example_uses_real_options() -> None:
    module = (ROOT / "ansible" / "plugins" / "modules" / "preflight.py").read_text()
    documentation = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', module, re.S).group(1))
    options = set(documentation["options"])
    for block in blocks("yaml"):
        for task in yaml.safe_load(block):
            assert set(task["kcheck.kdump.preflight"]) <= options
    returned = set(yaml.safe_load(re.search(r'RETURN = r"""(.*?)"""', module, re.S).group(1)))
    register = next(line for line in FLEETS.splitlines() if "register: kdump" in line)
    mentioned = set(re.findall(r"\.(\w+)", register.split("#", 1)[1]))
    assert mentioned and mentioned <= returned


def test_text_example_is_real_output(tmp_path) -> None:
    example = blocks("text")[0].splitlines()
    broken, small, healthy = (preflight_report(t) for t in ("debian-broken", "fedora-broken", "fedora-healthy"))
    fleet = {f"web{n:02}": broken for n in range(30)} | {f"db{n}": small for n in range(1, 8)} | \
        {f"ok{n}": healthy for n in range(3)}
    done = run_kcheck("fleet", str(write_reports(tmp_path / "r", fleet)))
    lines = done.stdout.splitlines()
    assert lines[:3] == example[:3]
    db1 = next(line for line in lines if line.startswith("db1 "))
    assert re.sub(r"\s+", " ", db1).startswith(re.sub(r"\s+", " ", example[-1]).removesuffix("..."))
    assert json.loads(run_kcheck("fleet", str(tmp_path / "r"), "--format", "json").stdout)["summary"]["hosts"] == 40
