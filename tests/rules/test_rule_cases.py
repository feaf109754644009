"""Every rule has a passing and a failing set-up, and behaves on both.

A case file may also hold ``[[undecided]]`` set-ups (the rule may apply but the inputs
cannot judge it: the report is INCOMPLETE) and ``[[not_applicable]]`` ones (judged: it has
nothing to say), each with optional ``reason_contains``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kcheck.domain.findings import Status
from tests.rules.harness import base_setup, evaluate_case, rules

CASES = Path(__file__).parent


def _cases() -> list[tuple[str, str, int, dict]]:
    out = []
    for path in sorted(CASES.glob("*.toml")):
        document = tomllib.loads(path.read_text())
        for kind in ("pass", "fail", "undecided", "not_applicable"):
            entries = document.get(kind, [])
            for index, case in enumerate(entries if isinstance(entries, list) else [entries]):
                out.append((path.stem, kind, index, case))
    return out


def test_every_rule_has_a_pass_and_a_fail_case() -> None:
    missing = []
    for rule_id in rules():
        path = CASES / f"{rule_id}.toml"
        document = tomllib.loads(path.read_text()) if path.exists() else {}
        if not document.get("pass") or not document.get("fail"):
            missing.append(rule_id)
    assert not missing, f"rules without a pass and a fail case in tests/rules/: {missing}"


@pytest.mark.parametrize(("rule_id", "kind", "index", "case"), _cases(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_rule_case(rule_id: str, kind: str, index: int, case: dict, tmp_path: Path) -> None:
    if base_setup(case.get("base", "2.6.13")) is None:
        pytest.skip(f"base {case['base']} needs the Debian corpus: run .ci/fetch-corpus")
    result = evaluate_case(rule_id, case, tmp_path)
    if kind in ("undecided", "not_applicable"):
        # Skipped either way; only an undecided rule leaves the report INCOMPLETE.
        assert result.status is Status.SKIP, f"{rule_id} {kind}[{index}]: {result.status}"
        assert (result.undecided is not None) is (kind == "undecided"), \
            f"{rule_id} {kind}[{index}]: undecided={result.undecided!r} ({result.reason})"
        for text in case.get("reason_contains", []):
            assert text in result.reason
        return
    expected = Status.PASS if kind == "pass" else Status.FAIL
    assert result.status is expected, f"{rule_id} {kind}[{index}]: {result.status} {result.reason}"
    if kind == "fail":
        assert result.finding is not None
        for text in case.get("message_contains", []):
            assert text in result.finding.message
        # The fix advised for this kernel, as kcheck check prints it and kcheck fix writes it.
        for key in ("cmdline_add", "kexec_add", "append_add"):
            if f"fix_{key}" in case:
                assert list(getattr(result.finding.fix, key)) == case[f"fix_{key}"]
