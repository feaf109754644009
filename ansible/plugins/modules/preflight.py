#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v2.0 only (see https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)
"""Ansible module: run kcheck's kdump pre-flight on the managed host and return its report."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: preflight
short_description: Predict whether a host will capture a kdump crash dump
version_added: "0.1.0"
description:
  - Runs C(kcheck preflight --format json) on the managed host and returns its report as the result.
  - kcheck reads the host's own files (C(/proc/cmdline), C(/proc/iomem), C(/sys/kernel/kexec_crash_loaded),
    the running kernel's config, the kdump-tools or kdumpctl settings), builds the C(kexec -p) command the
    kdump service would run and checks all of it against its rules.
  - The answer is the verdict (will the host capture a crash dump, and if not the deciding reason and rule),
    every finding with its fix, and the physical memory map (System RAM, the crash kernel region, where the
    capture kernel and initrd go).
  - The module only reads files; it never changes the host.
  - Run it as root (C(become)) on real hosts; without root C(/proc/iomem) shows no addresses and the size
    checks are skipped (the report says so).
options:
  root:
    description:
      - The host tree to read. C(/) is the managed host itself; another directory is a tree captured from
        a host (read as a chroot, nothing outside it is read).
    type: path
    default: /
  fail_on:
    description:
      - When the module fails the host.
      - C(error) fails it when the host will not capture a dump, or the verdict could not be fully judged.
      - C(warning) also fails it on a warning.
      - C(never) (the default) returns the report and never fails the host.
    type: str
    choices: [error, warning, never]
    default: never
  executable:
    description:
      - Path of the kcheck command on the managed host.
      - Default is C(bin/kcheck) in O(virtualenv) when that is set, else C(kcheck) on the E(PATH).
    type: path
  virtualenv:
    description:
      - A virtualenv on the managed host in which kcheck is installed.
    type: path
  rules:
    description:
      - Extra rule files or directories on the managed host (kcheck's C(--rules)).
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
requirements:
  - kcheck on the managed host (C(pip install kcheck)), Python 3.11 or later for kcheck itself.
notes:
  - The module runs in check mode exactly as without it, because it only reads.
  - C(kcheck fleet) rolls many of these reports up on the controller; the playbook
    C(kcheck.kdump.preflight) of this collection does it for a whole inventory.
seealso:
  - name: kcheck README, Fleets
    description: Installing the collection, inventory variables, the playbook and reading the roll-up.
    link: https://kcheck.invalid/kcheck#fleets
author:
  - kcheck developers (@kcheck)
"""

EXAMPLES = r"""
- name: Will this host capture a crash dump?
  kcheck.kdump.preflight:
  become: true
  register: kdump

- name: Say why not
  ansible.builtin.debug:
    msg: "{{ kdump.verdict.text }}"
  when: not kdump.captures

- name: Gate a rollout on kdump being able to capture (fails the host otherwise)
  kcheck.kdump.preflight:
    fail_on: error
    virtualenv: /opt/kcheck
  become: true

- name: Check a tree captured from a host, with site rules
  kcheck.kdump.preflight:
    root: /srv/bundles/web42
    rules:
      - /etc/kcheck/site-rules.toml
"""

RETURN = r"""
captures:
  description:
    - Whether the host will capture a crash dump.
    - False also when kcheck cannot tell (C(verdict.captures) is null, C(verdict.complete) is false).
  returned: success
  type: bool
  sample: false
verdict:
  description: The verdict of the report.
  returned: success
  type: dict
  contains:
    captures:
      description: Whether the host will capture a crash dump; null when kcheck cannot tell.
      type: bool
    complete:
      description: False when some rule could not be judged (then the verdict never reads as capturing).
      type: bool
    undecided_causes:
      description: Why rules could not be judged, such as C(RAM size unknown).
      type: list
      elements: str
    reason:
      description: The deciding reason when it will not, else null.
      type: str
    rule:
      description: The rule id that decided, such as C(KH002), else null.
      type: str
    text:
      description: The verdict as one sentence.
      type: str
  sample:
    captures: false
    reason: crashkernel=384M-:128M is on the command line, but the kernel reserved no crash region
    rule: KH002
    text: "This host will NOT capture a crash dump: crashkernel=384M-:128M is on the command line, ..."
findings:
  description: Every finding (rule, name, severity, kernel, title, message, fix, reference), as in the report.
  returned: success
  type: list
  elements: dict
memory_map:
  description:
    - The physical memory map the checks reason about (areas with name, start, end, size), or null when
      C(/proc/iomem) could not be read.
  returned: success
  type: dict
summary:
  description: Counts of errors, warnings, info, waived, passed, failed and skipped rules.
  returned: success
  type: dict
  sample: {"error": 2, "warning": 0, "info": 0, "waived": 0, "passed": 40, "failed": 2, "skipped": 42}
report:
  description:
    - The whole JSON report of C(kcheck preflight --format json) (kcheck's C(schemas/report.schema.json)).
    - Write it to a file on the controller and C(kcheck fleet) rolls many of them up.
  returned: success, and when O(fail_on) failed the host
  type: dict
command:
  description: The kcheck command that was run.
  returned: always
  type: list
  elements: str
  sample: ["/usr/local/bin/kcheck", "preflight", "--root", "/", "--format", "json", "--fail-on", "never"]
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule


def find_kcheck(module):
    """The kcheck command: the executable option, the virtualenv's, else kcheck on PATH."""
    executable = module.params["executable"]
    virtualenv = module.params["virtualenv"]
    if executable:
        if not os.access(executable, os.X_OK):
            module.fail_json(msg="kcheck executable %s does not exist or is not executable" % executable)
        return executable
    if virtualenv:
        candidate = os.path.join(virtualenv, "bin", "kcheck")
        if not os.access(candidate, os.X_OK):
            module.fail_json(msg="no kcheck in the virtualenv %s (%s is missing): "
                                 "pip install kcheck into it" % (virtualenv, candidate))
        return candidate
    found = module.get_bin_path("kcheck", required=False)
    if not found:
        module.fail_json(msg="kcheck is not installed on this host: pip install kcheck, "
                             "or set the virtualenv or executable option")
    return found


def failing(report, fail_on):
    """Whether the report fails the host at fail_on (error, warning or never)."""
    if fail_on == "never":
        return False
    verdict = report.get("verdict") or {}
    summary = report.get("summary") or {}
    # captures is null when kcheck cannot tell (some rule could not be judged): never read as OK.
    if verdict.get("captures") is not True or verdict.get("complete") is False or summary.get("error", 0):
        return True
    return fail_on == "warning" and summary.get("warning", 0) > 0


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", default="/"),
            fail_on=dict(type="str", choices=["error", "warning", "never"], default="never"),
            executable=dict(type="path"),
            virtualenv=dict(type="path"),
            rules=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    command = [find_kcheck(module), "preflight", "--root", module.params["root"],
               "--format", "json", "--fail-on", "never"]
    for rule_file in module.params["rules"]:
        command.extend(["--rules", rule_file])
    rc, stdout, stderr = module.run_command(command, environ_update={"LC_ALL": "C.UTF-8"})
    if rc not in (0, 1):
        message = (stderr or stdout or "").strip().splitlines()
        module.fail_json(msg=message[-1] if message else "kcheck exited with status %d" % rc,
                         rc=rc, command=command, changed=False)
    try:
        report = json.loads(stdout)
    except ValueError as exc:
        module.fail_json(msg="kcheck did not print a JSON report: %s" % exc, rc=rc, command=command,
                         changed=False)
    if not isinstance(report, dict) or not isinstance(report.get("verdict"), dict):
        module.fail_json(msg="kcheck printed JSON that is not a pre-flight report", rc=rc,
                         command=command, changed=False)
    verdict = report["verdict"]
    result = dict(
        changed=False,
        captures=verdict.get("captures") is True and verdict.get("complete") is not False,
        verdict=verdict,
        findings=report.get("findings", []),
        memory_map=report.get("memory_map"),
        summary=report.get("summary", {}),
        report=report,
        command=command,
        msg=verdict.get("text", ""),
    )
    if failing(report, module.params["fail_on"]):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
