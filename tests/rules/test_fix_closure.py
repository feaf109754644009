"""Fix closure: every rule's fix, applied to its failing case, clears the finding and breaks nothing.

For each rule, its first failing set-up from tests/rules/<ID>.toml is checked,
the rule's own fix is applied as ``kcheck fix`` applies it (kcheck.fixers:
the plan of that one finding, then ``apply_plan``), and the fixed set-up is
checked again: the finding must be gone and no rule may fail that did not fail
before.  This is what caught KB001 advising 2.6.13's ``crashkernel=64M@16M``
on KASLR kernels, where it trips KB005 and KB007.

A fix that needs a human (text only, or a value only the machine knows such
as the initrd's path) cannot be applied: such rules are listed in
``NEEDS_A_HUMAN`` with the reason, and the test checks that the list is
exact, so a rule is never left out silently.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kcheck.engine.evaluate import evaluate
from kcheck.facts.setup import Kernel, Setup
from kcheck.fixers.plan import FixPlan, build_plan
from kcheck.app.fix import apply_plan, make_fixes
from kcheck.domain.findings import Report, RuleResult, Severity, Status
from kcheck.app.pipeline import read_setup
from kcheck.domain.records import replace
from tests.conftest import FIXTURES
from tests.corpus import corpus_dir
from kcheck.app.preflight import host_setup
from kcheck.inputs.host import read_host
from tests.rules.harness import base_setup, host_tree, materialise, rules

CASES = Path(__file__).parent

#: Rules whose fix kcheck cannot apply by itself, and why.
NEEDS_A_HUMAN: dict[str, str] = {
    "KB006": "the offset to round to depends on the memory layout the user wants",
    "KB008": "a trade-off: accept the missing pages or give up the CMA reservation",
    "KB009": "the other parameter's value must be edited by hand",
    "KB010": "which of the crashkernel= parameters is meant is for the user to say",
    "KI001": "another file must be loaded: the vmlinux of the capture kernel's build",
    "KI004": "another image or config must be checked",
    "KI005": "another image or config must be checked",
    "KI006": "another image or config must be checked",
    "KI007": "another image or config must be checked",
    "KI009": "another image or config must be checked",
    "KI011": "another vmlinux must be kept",
    "KI012": "another image or kexec command must be checked",
    "KS009-fail1": "i386 has no kexec_file_load: lifting lockdown is a security decision",
    "KX002": "the capture kernel's path is only known on the machine",
    "KX003": "which unknown option was meant is for the user to say",
    "KX006": "the initrd's path is only known on the machine",
    "KX009": "the initrd's path is only known on the machine",
    "KS011": "which of the disagreeing sources is right is for the user to say",
    "KC017": "which of the disagreeing sources is right is for the user to say",
    "KX022": "the initrd's path is only known on the machine",
    "KX023": "the initrd's path is only known on the machine (or which drivers to build in)",
    "KX024": "the initrd's path is only known on the machine (or which file system to build in)",
    "KX015": "which parameters the capture kernel can do without is for the user to say",
    "KS012": "no kernel for the architecture has kdump: nothing to configure",
}
#: Rules about an image whose fix is a config change: the re-check reads the same, old image.
NEEDS_A_REBUILD: dict[str, str] = {
    "KI008": "the capture vmlinux must be rebuilt with the new CONFIG_PHYSICAL_START",
}
#: Host rules describe a running machine: their fixes act on it (see _host_rule).
HOST = "host"


def _fail_cases(rule_id: str) -> list[tuple[str, dict]]:
    document = tomllib.loads((CASES / f"{rule_id}.toml").read_text())
    fail = document["fail"]
    cases = fail if isinstance(fail, list) else [fail]
    return [(f"{rule_id}-fail{index}", case) for index, case in enumerate(cases)]


def _kconfig_tree(kernel: Kernel) -> Path | None:
    """The real Kconfig tree to resolve a config fix with, as ``kcheck fix --kernel-src`` would."""
    version = kernel.version
    if version is None:
        return None
    if version.parts[:3] == (2, 6, 13) and kernel.arch == "i386":
        return FIXTURES / "kconfig" / "linux-2.6.13-i386"
    root = corpus_dir()
    if version.parts[:2] == (6, 1) and root is not None and (root / "linux-6.1" / "Kconfig").is_file():
        return root / "linux-6.1"
    return None


def _with_kconfig(setup: Setup, plan: FixPlan) -> Setup | None:
    """The set-up with each config fix merged and resolved by kconfiglib on a real tree
    (merge_config.sh + olddefconfig); None when a kernel with a config fix has no tree here."""
    from kcheck.kconfig.resolve import resolve
    from kcheck.kconfig.tree import load_kconfig

    kernels = {}
    for role, wanted in plan.config.items():
        if not wanted:
            continue
        kernel = getattr(setup, role)
        tree = _kconfig_tree(kernel)
        if tree is None or kernel.config is None or kernel.arch is None:
            return None
        resolution = resolve(load_kconfig(str(tree), kernel.arch), kernel.config.path,
                             {r.symbol: r.value for r in wanted.values()})
        values = {name.removeprefix("CONFIG_"): value for name, value in resolution.values.items()}
        kernels[role] = replace(kernel, config=replace(kernel.config, values=values))
    system = kernels.get("system", setup.system)
    capture = system if setup.same_kernel else kernels.get("capture", setup.capture)
    return replace(setup, system=system, capture=capture)


def _failing(results: list[RuleResult]) -> dict[str, RuleResult]:
    return {r.rule: r for r in results if r.status is Status.FAIL}


def _automatic(plan: FixPlan) -> bool:
    return any(plan.config.values()) or any(getattr(plan, name) for name in (
        "cmdline_add", "cmdline_remove", "kexec_add", "kexec_remove", "append_add", "append_remove"))


def _host_rule(rule_id: str, case: dict, tmp_path: Path) -> None:
    """A host rule's fix acts on the running machine (a reboot with another crashkernel=, a
    service restart), so the host finding is re-checked there by kcheck preflight, not here.
    What can be checked here: the fix says what to do, and what it changes in the set-up
    (the boot line) makes no other rule fail."""
    assert rule_id not in NEEDS_A_HUMAN, "host rules are checked by _host_rule"
    setup = host_setup(read_host(str(host_tree(case, tmp_path))))
    every = list(rules().values())
    before = _failing(evaluate(every, setup))
    assert rule_id in before, f"{rule_id}: its failing case does not fail"
    plan = build_plan(Report(inputs={}, results=(before[rule_id],)), same_kernel=setup.same_kernel,
                      minimum=Severity.INFO)
    if not _automatic(plan):
        assert plan.manual and all(m.reason for m in plan.manual), f"{rule_id}: its fix says nothing"
        return
    assert not plan.manual, f"{rule_id}: part of the fix is not applied: {plan.manual}"
    after = _failing(evaluate([r for r in every if r.concerns != HOST], apply_plan(setup, plan)))
    new = {rid: r.finding.message for rid, r in after.items() if rid not in before and r.finding}
    assert not new, f"{rule_id}'s fix makes other rules fail: {new}"


def _all_cases() -> list[tuple[str, str, dict]]:
    return [(rule_id, name, case) for rule_id in sorted(rules()) for name, case in _fail_cases(rule_id)]


@pytest.mark.parametrize(("rule_id", "name", "case"), _all_cases(), ids=[c[1] for c in _all_cases()])
def test_fix_clears_the_finding_and_breaks_nothing(rule_id: str, name: str, case: dict, tmp_path: Path) -> None:
    rule = rules()[rule_id]
    if rule.concerns == HOST:
        _host_rule(rule_id, case, tmp_path)
        return
    if base_setup(case.get("base", "2.6.13")) is None:
        pytest.skip(f"base {case['base']} needs the Debian corpus: run .ci/fetch-corpus")
    setup = read_setup(materialise(case, tmp_path))
    every = [r for r in rules().values() if r.concerns != HOST]
    before = _failing(evaluate(every, setup))
    assert rule_id in before, f"{rule_id}: its failing case does not fail"
    finding = before[rule_id].finding
    assert finding is not None
    plan = build_plan(Report(inputs={}, results=(before[rule_id],)), same_kernel=setup.same_kernel,
                      minimum=Severity.INFO)
    if rule_id in NEEDS_A_REBUILD:
        assert any(plan.config.values()) and any(".image." in p for p in rule.check.paths()), \
            f"{rule_id}: listed as needing a rebuild, but its fix is not a config change for an image"
        return
    if rule_id in NEEDS_A_HUMAN or name in NEEDS_A_HUMAN:
        assert not _automatic(plan), f"{rule_id} has an automatic fix now: take it out of NEEDS_A_HUMAN"
        assert plan.manual, f"{rule_id}: a fix that needs a human must say what to do"
        return
    assert _automatic(plan), (f"{rule_id}: no automatic fix ({[m.reason for m in plan.manual]}); "
                              "give it one or list it in NEEDS_A_HUMAN with the reason")
    assert not plan.manual, f"{rule_id}: part of the fix is not applied: {plan.manual}"
    fixed = apply_plan(setup, plan)
    after = _failing(evaluate(every, fixed))
    if any(plan.config.values()) and (rule_id in after or set(after) - set(before)):
        # What a config fix gives depends on Kconfig (selects, choices): resolve it as
        # kcheck fix --kernel-src and make olddefconfig do.
        resolved = _with_kconfig(fixed, plan)
        if resolved is None:
            pytest.skip(f"{rule_id}: the config fix needs a Kconfig tree for {setup.system.version} "
                        "to resolve what it selects: run .ci/fetch-corpus")
        after = _failing(evaluate(every, resolved))
    assert rule_id not in after, f"{rule_id}: still fails after its fix {finding.fix}: {after[rule_id].finding.message}"
    new = {rid: r.finding.message for rid, r in after.items() if rid not in before and r.finding}
    assert not new, f"{rule_id}'s fix {finding.fix.describe()} makes other rules fail: {new}"


def test_the_lists_name_only_rules_and_cases_that_exist() -> None:
    names = {name for _, name, _ in _all_cases()} | set(rules())
    assert set(NEEDS_A_HUMAN) | set(NEEDS_A_REBUILD) <= names


def _non_host_cases() -> list[tuple[str, str, dict]]:
    return [c for c in _all_cases() if rules()[c[0]].concerns != HOST]


@pytest.mark.parametrize(("rule_id", "name", "case"), _non_host_cases(), ids=[c[1] for c in _non_host_cases()])
def test_kcheck_fix_writes_what_kcheck_check_advises(rule_id: str, name: str, case: dict, tmp_path: Path) -> None:
    """On every failing case, each token and value the check's findings advise is in what
    ``kcheck fix`` writes, or in its summary as something it could not do (and why)."""
    if base_setup(case.get("base", "2.6.13")) is None:
        pytest.skip(f"base {case['base']} needs the Debian corpus: run .ci/fetch-corpus")
    setup = read_setup(materialise(case, tmp_path))
    every = [r for r in rules().values() if r.concerns != HOST]

    def check(s: Setup) -> Report:
        return Report(inputs={}, results=tuple(evaluate(every, s)))

    report = check(setup)
    result = make_fixes(setup, check, kernel_src=None, verify_with_kbuild=False, config_paths={})
    manual = {m.what for m in result.plan.manual}
    written = {"cmdline": result.cmdline or (setup.cmdline.text if setup.cmdline else ""),
               "kexec": result.kexec or (setup.kexec.text if setup.kexec else ""),
               "config": "\n".join(result.files.get(f"{k}.config", "") for k in ("system", "capture"))}
    for finding in report.findings:
        if finding.severity < Severity.WARNING:   # kcheck fix acts on warnings and errors
            continue
        fix = finding.fix
        wanted = [(t, "cmdline") for t in fix.cmdline_add] + [(t, "kexec") for t in fix.kexec_add + fix.append_add]
        wanted += [(f"# CONFIG_{k} is not set" if v == "n" else f"CONFIG_{k}={v}", "config") for k, v in fix.config]
        for token, where in wanted:
            bare = token.removeprefix("# ").split(" is not set")[0] if where == "config" else token
            assert token in written[where] or token in manual or bare in manual, \
                f"{finding.rule} advises {token}; kcheck fix wrote {written[where]!r} and left {manual}"
