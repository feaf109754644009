"""kcheck fix's plan: command-line tokens get the conflict check config values get."""

from __future__ import annotations

from kcheck.domain.findings import Finding, Fix, Report, RuleResult, Severity, Status
from kcheck.fixers.plan import build_plan, merge_plan


def _report(*fixes: tuple[str, Fix]) -> Report:
    results = tuple(RuleResult(rule, "boot", Status.FAIL, finding=Finding(
        rule=rule, name=rule.lower(), severity=Severity.WARNING, concerns="boot", title="a finding for the plan",
        message="m", symbols=(), fix=fix, reference="tests")) for rule, fix in fixes)
    return Report(inputs={}, results=results)


def test_two_values_of_one_boot_parameter_are_a_conflict_not_two_tokens() -> None:
    plan = build_plan(_report(("KB005", Fix(cmdline_remove=("crashkernel",), cmdline_add=("crashkernel=64M",))),
                              ("KB007", Fix(cmdline_remove=("crashkernel",), cmdline_add=("crashkernel=256M",)))),
                      same_kernel=True)
    assert plan.cmdline_add == [("crashkernel=64M", "KB005")]
    (conflict,) = plan.manual
    assert (conflict.rule, conflict.what) == ("KB007", "crashkernel=256M")
    assert conflict.reason == "conflicts with crashkernel=64M wanted by KB005 on the boot command line"


def test_the_same_token_twice_and_dash_underscore_spellings() -> None:
    plan = build_plan(_report(("KB001", Fix(cmdline_add=("crashkernel=256M",))),
                              ("KI010", Fix(cmdline_add=("crashkernel=256M",))),
                              ("KX011", Fix(append_add=("nr_cpus=1",))),
                              ("KX099", Fix(append_add=("nr-cpus=2",)))), same_kernel=True)
    assert [t for t, _ in plan.cmdline_add] == ["crashkernel=256M", "crashkernel=256M"]
    assert [t for t, _ in plan.append_add] == ["nr_cpus=1"]
    assert [m.what for m in plan.manual] == ["nr-cpus=2"]


def test_a_later_round_asking_another_value_is_a_conflict() -> None:
    plan = build_plan(_report(("KB001", Fix(cmdline_add=("crashkernel=256M",)))), same_kernel=True)
    later = build_plan(_report(("KI010", Fix(cmdline_remove=("crashkernel",), cmdline_add=("crashkernel=4016M",))),
                               ("KX019", Fix(kexec_add=("-s",)))), same_kernel=True)
    assert merge_plan(plan, later)            # -s and the remove are new
    assert [t for t, _ in plan.cmdline_add] == ["crashkernel=256M"]
    assert [m.what for m in plan.manual] == ["crashkernel=4016M"]
    assert [t for t, _ in plan.kexec_add] == ["-s"]


def test_kexec_options_compare_by_their_long_name() -> None:
    plan = build_plan(_report(("KX006", Fix(kexec_add=("--initrd=/a",))),
                              ("KX099", Fix(kexec_add=("--ramdisk=/b",)))), same_kernel=True)
    assert [t for t, _ in plan.kexec_add] == ["--initrd=/a"]
    assert [m.what for m in plan.manual] == ["--ramdisk=/b"]
