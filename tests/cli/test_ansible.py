"""The Ansible collection for real: ansible-galaxy installs it, ansible-doc renders it, and
ansible-playbook runs the module on a local inventory of captured host trees."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleet_helpers import HOSTS, ROOT, schema_validator

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "ansible-playbook").exists(),
                                reason="ansible-core is not installed (pip install '.[fleet]')")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """The collection installed with ansible-galaxy, a kcheck on the 'hosts', an inventory."""
    base = tmp_path_factory.mktemp("ansible")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(base / "collections"), ANSIBLE_HOME=str(base / "home"),
               ANSIBLE_LOCAL_TEMP=str(base / "tmp"), ANSIBLE_REMOTE_TMP=str(base / "remote-tmp"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_FORKS="6",
               ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_HOST_KEY_CHECKING="0", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", str(ROOT / "ansible"),
                           "-p", str(base / "collections")], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # kcheck on the managed 'hosts': this checkout, as an executable, in a virtualenv, and on PATH.
    shim = base / "bin" / "kcheck"
    shim.parent.mkdir()
    shim.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m kcheck \"$@\"\n")
    shim.chmod(0o755)
    venv = base / "venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy(shim, venv / "bin" / "kcheck")
    env["PATH"] = f"{shim.parent}{os.pathsep}{env['PATH']}"
    # A host read without root: /proc/iomem shows only zeros, so kcheck cannot tell.
    noroot = shutil.copytree(HOSTS / "debian-healthy", base / "noroot", symlinks=True)
    iomem = noroot / "proc" / "iomem"
    iomem.write_text(re.sub(r"^( *)[0-9a-f]+-[0-9a-f]+ :", r"\g<1>00000000-00000000 :", iomem.read_text(), flags=re.M))
    inventory = base / "inventory.ini"
    inventory.write_text(f"""\
[debian]
deb-ok   kcheck_root={HOSTS / 'debian-healthy'} kcheck_executable={shim}
deb-bad  kcheck_root={HOSTS / 'debian-broken'} kcheck_virtualenv={venv}
deb-noroot  kcheck_root={noroot}

[fedora]
fed-ok   kcheck_root={HOSTS / 'fedora-healthy'}
fed-bad  kcheck_root={HOSTS / 'fedora-broken'} kcheck_fail_on=error

[unlucky]
no-kcheck  kcheck_root={HOSTS / 'debian-healthy'} kcheck_virtualenv={base / 'no-such-venv'}
no-tree    kcheck_root={base / 'no-such-tree'}

[all:vars]
ansible_connection=local
ansible_python_interpreter={sys.executable}
""")
    return {"base": base, "env": env, "inventory": inventory, "shim": shim}


def test_module_docs_render_with_ansible_doc(world):
    done = subprocess.run([str(BIN / "ansible-doc"), "-t", "module", "kcheck.kdump.preflight"],
                          capture_output=True, text=True, env=world["env"], timeout=120)
    assert done.returncode == 0, done.stderr
    for text in ("kcheck preflight", "fail_on", "choices: [error, warning, never]", "virtualenv",
                 "EXAMPLES", "RETURN VALUES", "captures", "memory_map", "check_mode"):
        assert text in done.stdout, text
    data = json.loads(subprocess.run([str(BIN / "ansible-doc"), "--json", "kcheck.kdump.preflight"],
                                     capture_output=True, text=True, env=world["env"], timeout=120).stdout)
    doc = data["kcheck.kdump.preflight"]
    assert set(doc["doc"]["options"]) == {"root", "fail_on", "executable", "virtualenv", "rules"}
    assert {"captures", "verdict", "findings", "memory_map", "summary", "report"} <= set(doc["return"])
    listed = subprocess.run([str(BIN / "ansible-doc"), "-t", "module", "-l", "kcheck.kdump"],
                            capture_output=True, text=True, env=world["env"], timeout=120)
    assert "kcheck.kdump.preflight" in listed.stdout


def test_playbook_on_a_local_inventory(world):
    """Seven hosts: two healthy, two broken (one failed by fail_on), one read without root, two where
    kcheck cannot run."""
    reports = world["base"] / "run" / "kcheck-reports"
    reports.parent.mkdir()
    extra = {"kcheck_report_dir": str(reports),
             "kcheck_fleet_command": [sys.executable, "-m", "kcheck"],
             "kcheck_fleet_environment": {"PYTHONPATH": str(ROOT)}}
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(world["inventory"]), "kcheck.kdump.preflight",
                           "-e", json.dumps(extra)], capture_output=True, text=True, env=world["env"],
                          cwd=world["base"] / "run", timeout=300)
    out = done.stdout
    assert done.returncode == 2, out + done.stderr       # failed hosts: ansible-playbook's status 2
    recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=(\d)", out, re.M))
    assert recap == {"deb-ok": "0", "deb-bad": "0", "deb-noroot": "0", "fed-ok": "0", "fed-bad": "1",
                     "no-kcheck": "1", "no-tree": "1", "localhost": "0"}, out
    # Each host left its entry, the failed ones too.
    entries = {p.stem: json.loads(p.read_text()) for p in reports.glob("*.json")}
    assert set(entries) == {"deb-ok", "deb-bad", "deb-noroot", "fed-ok", "fed-bad", "no-kcheck", "no-tree"}
    validator = schema_validator("report.schema.json")
    for name in ("deb-ok", "deb-bad", "deb-noroot", "fed-ok", "fed-bad"):
        assert entries[name]["host"] == name and entries[name]["error"] is None
        validator.validate(entries[name]["report"])
    assert entries["fed-bad"]["report"]["verdict"]["rule"] == "KH007"   # failed by fail_on, report kept
    assert entries["deb-bad"]["report"]["verdict"]["rule"] == "KH002"
    assert entries["no-kcheck"]["report"] is None
    assert entries["no-kcheck"]["error"].startswith("no kcheck in the virtualenv ")
    assert entries["no-tree"]["error"].startswith("kcheck: error: ")
    # The roll-up on the controller, in every format.
    fleet = json.loads((reports.parent / "fleet.json").read_text())
    schema_validator("fleet-report.schema.json").validate(fleet)
    summary = fleet["summary"]
    assert (summary["hosts"], summary["captures"], summary["will_not_capture"], summary["incomplete"],
            summary["unchecked"]) == (7, 2, 2, 1, 2)
    assert {h["host"]: h["verdict"] for h in fleet["hosts"]} == {
        "deb-ok": "captures", "fed-ok": "captures", "deb-bad": "will-not-capture",
        "fed-bad": "will-not-capture", "deb-noroot": "incomplete", "no-kcheck": "unchecked",
        "no-tree": "unchecked"}
    assert (reports.parent / "fleet-junit.xml").read_text().count("<testcase ") == 7
    assert (reports.parent / "fleet.html").read_text().count('<tr class="v-') == 7
    assert "2 hosts will NOT capture: 1 " in out      # the text roll-up on the console


def test_module_results_in_check_mode(world):
    """changed is false, check mode runs the same read-only check, fail_on fails only when asked."""
    tree = world["base"] / "tree"
    args = "root={{ kcheck_root }} executable=%s fail_on={{ kcheck_fail_on | default('never') }}" % world["shim"]
    done = subprocess.run([str(BIN / "ansible"), "-i", str(world["inventory"]), "debian:fedora", "--check",
                           "-m", "kcheck.kdump.preflight", "-a", args, "--tree", str(tree)],
                          capture_output=True, text=True, env=world["env"], cwd=world["base"], timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr     # fed-bad fails (fail_on=error)
    results = {p.name: json.loads(p.read_text()) for p in tree.iterdir()}
    assert set(results) == {"deb-ok", "deb-bad", "deb-noroot", "fed-ok", "fed-bad"}
    for name, result in results.items():
        assert result["changed"] is False
        assert result["report"]["tool"]["name"] == "kcheck"
        assert result["summary"] == result["report"]["summary"]
        root = {"deb-ok": HOSTS / "debian-healthy", "deb-bad": HOSTS / "debian-broken",
                "fed-ok": HOSTS / "fedora-healthy", "fed-bad": HOSTS / "fedora-broken",
                "deb-noroot": world["base"] / "noroot"}[name]
        assert result["command"][1:5] == ["preflight", "--root", str(root), "--format"]
    assert [results[n]["captures"] for n in ("deb-ok", "fed-ok", "deb-bad", "fed-bad", "deb-noroot")] == [
        True, True, False, False, False]
    assert results["deb-noroot"]["verdict"]["captures"] is None                # kcheck cannot tell
    states = dict(re.findall(r"^(\S+) \| (SUCCESS|FAILED!) =>", done.stdout, re.M))
    assert states == {"deb-ok": "SUCCESS", "fed-ok": "SUCCESS", "deb-bad": "SUCCESS",   # not asked to fail
                      "deb-noroot": "SUCCESS", "fed-bad": "FAILED!"}, done.stdout
    assert results["fed-bad"]["verdict"]["rule"] == "KH007"
    assert results["fed-bad"]["msg"].startswith("This host will NOT capture a crash dump: the crash region is 64M")
    region = next(a for a in results["fed-ok"]["memory_map"]["areas"] if a["name"] == "crashkernel region")
    assert region["size"] == 256 << 20


def test_ansible_test_sanity_passes_on_the_collection(world):
    """ansible-test sanity (validate-modules, pylint, pep8, yamllint, compile, import, ...) on the installed copy."""
    collection = world["base"] / "collections" / "ansible_collections" / "kcheck" / "kdump"
    env = dict(world["env"], PATH=f"{BIN}{os.pathsep}{world['env']['PATH']}")
    done = subprocess.run([str(BIN / "ansible-test"), "sanity", "--python",
                           f"{sys.version_info.major}.{sys.version_info.minor}", "--color", "no"],
                          capture_output=True, text=True, env=env, cwd=collection, timeout=900)
    output = done.stdout + done.stderr
    if "Download failed" in output or "does not have pip available" in output:
        pytest.skip("ansible-test sanity bootstraps pip in its virtualenvs from ci-files.testing.ansible.com, "
                    "which is unreachable here: " + output.strip().splitlines()[-1])
    assert done.returncode == 0, output[-4000:]
    assert output.count('Running sanity test "') >= 20
    assert 'Running sanity test "validate-modules"' in output and 'Running sanity test "pylint"' in output
