"""Real Debian 6.1 configs with correct modern set-ups: no false alarms.

An old rule firing on a new kernel, or an option that does not exist on an
architecture being reported, is a bug.  Debian's s390x kernel really has
CRASH_DUMP off; that is a true error and must be found.
"""

from __future__ import annotations

import pytest

from kcheck.engine.evaluate import evaluate
from kcheck.engine.loader import load_rules
from kcheck.domain.findings import Severity, Status
from kcheck.app.pipeline import CheckRequest, read_setup
from tests.corpus import corpus_configs, requires_corpus
from tests.modern_setups import TRUE_ERRORS, modern_setup

pytestmark = requires_corpus("configs")
NAMES = sorted(corpus_configs()) or ["(corpus absent)"]
EXPECTED_ARCH = {"amd64": "x86_64", "i386": "i386", "arm64": "arm64", "armhf": "arm",
                 "ppc64el": "ppc64le", "s390x": "s390x"}


RULES = load_rules()


def _check(name: str) -> list:
    setup = modern_setup(name)
    request = CheckRequest(system_config=str(setup["system"]), cmdline=setup["cmdline"],
                           kexec=setup["kexec"], memory=setup["memory"])
    return evaluate(RULES, read_setup(request))


@pytest.mark.parametrize("name", NAMES)
def test_correct_modern_setup_has_no_false_alarms(name: str) -> None:
    results = _check(name)
    findings = {r.rule: r.finding for r in results if r.finding is not None}
    loud = {rule for rule, f in findings.items() if f.severity >= Severity.WARNING}
    assert loud == TRUE_ERRORS.get(name, set()), {r: findings[r].message for r in loud}


@pytest.mark.parametrize("name", NAMES)
def test_detected_version_and_arch(name: str) -> None:
    setup = read_setup(CheckRequest(system_config=str(modern_setup(name)["system"])))
    assert str(setup.system.version).startswith("6.1")
    assert setup.system.arch == EXPECTED_ARCH[name.split("_")[0]]


@pytest.mark.parametrize("name", NAMES)
def test_old_rules_do_not_apply_to_new_kernels(name: str) -> None:
    rules = {r.id: r for r in RULES}
    version = read_setup(CheckRequest(system_config=str(modern_setup(name)["system"]))).system.version
    assert version is not None
    for result in _check(name):
        rule = rules[result.rule]
        if not rule.versions.unbounded and not rule.versions.contains(version):
            assert result.status is Status.SKIP, result


def test_s390x_missing_crash_dump_is_reported() -> None:
    if "s390x_none_s390x" not in corpus_configs():
        pytest.skip("no s390x config in the corpus")
    findings = {r.rule: r.finding for r in _check("s390x_none_s390x") if r.finding}
    assert findings["KC001"].severity is Severity.ERROR
    assert "CONFIG_CRASH_DUMP is n (not set)" in findings["KC001"].message
