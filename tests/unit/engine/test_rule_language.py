"""The rule language: concerns/role, set tests, fix variants, and the old spelling still read."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from kcheck.domain.crashkernel_advice import DEFAULT_SIZE, GRANULE, MIN_SIZE, advised_size
from kcheck.domain.errors import RuleError
from kcheck.domain.units import parse_number
from kcheck.domain.version import KernelVersion
from kcheck.engine.fixes import select
from kcheck.engine.legacy import legacy_keys, modernise
from kcheck.engine.loader import bundled_rule_files, compile_rule_document, load_rules, validate_rule_document
from kcheck.engine.predicates import compile_predicate
from tests.conftest import run_kcheck
from tests.rules.harness import rules

MiB = 1 << 20


class Facts:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def lookup(self, path: str) -> Any:
        return self.values.get(path)


def test_bundled_rules_use_the_new_spelling_only() -> None:
    for path in bundled_rule_files():
        for table in tomllib.loads(path.read_text()).get("rule", []):
            assert legacy_keys(table) == [], f"{path}: rule {table['id']} uses {legacy_keys(table)}"


OLD = '''
[[rule]]
id = "XX001"
name = "old-spelling"
title = "A rule written before concerns and role"
severity = "warning"
kernel = "kexec"
source = "tests"
applies = { versions = ">=2.6.17", kernel = "capture" }
why = "The first rule language said kernel for four different things."
when = { config = "SMP", of = "capture", is = "y" }
check = { any = [ { fact = "kexec.append.param.nr_cpus", present = true }, { config = "NR_CPUS", of = "capture", eq = 1 } ] }
message = "no CPU limit on {kexec.append.text}"
fix = { kernel = "capture", config = { NR_CPUS = "1" } }
'''
NEW = (OLD.replace('kernel = "kexec"', 'concerns = "kexec"').replace('kernel = "capture" }', 'role = "capture" }')
       .replace('of = "capture"', 'role = "capture"').replace('fix = { kernel = "capture",', 'fix = { role = "capture",'))


def test_the_old_spelling_compiles_to_the_same_rule() -> None:
    old, new = tomllib.loads(OLD), tomllib.loads(NEW)
    assert legacy_keys(old["rule"][0]) == ["rule.kernel", "rule.applies.kernel", "predicate.of", "rule.fix.kernel"]
    assert modernise(old) == new
    validate_rule_document(old, "old.toml")   # checked as what runs
    validate_rule_document(new, "new.toml")
    (a,), (b,) = compile_rule_document(old, "x"), compile_rule_document(new, "x")
    assert a == b and a.concerns == "kexec" and a.role == "capture"


def test_an_old_spelling_user_rule_file_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text(OLD)
    result = run_kcheck("explain", "XX001", "--rules", str(path))
    assert result.returncode == 0, result.stderr
    assert "Concerns: the kexec command" in result.stdout
    assert "CONFIG_NR_CPUS=1   (in the capture kernel)" in result.stdout


@pytest.mark.parametrize(("values", "test", "expected"), [
    ({"EXT4_FS": "m", "XFS_FS": None}, {"none_is": "y", "some_is": "m"}, True),
    ({"EXT4_FS": "m", "XFS_FS": "y"}, {"none_is": "y", "some_is": "m"}, False),
    ({"EXT4_FS": None, "XFS_FS": "n"}, {"none_is": "y", "some_is": "m"}, False),
    ({"EXT4_FS": "y", "XFS_FS": None}, {"some_is": "y"}, True),
    ({"EXT4_FS": None, "XFS_FS": None}, {"every_is": "n"}, True),
    ({"EXT4_FS": "m", "XFS_FS": "y"}, {"every_is": ["y", "m"]}, True),
    ({"EXT4_FS": "m", "XFS_FS": None}, {"every_is": ["y", "m"]}, False),
])
def test_set_tests(values: dict[str, Any], test: dict[str, Any], expected: bool) -> None:
    predicate = compile_predicate({"configs": ["EXT4_FS", "XFS_FS"], "role": "capture", **test}, "system", "check")
    facts = Facts({f"capture.config.{k}": v for k, v in values.items()})
    assert predicate.test(facts) is expected
    assert predicate.symbols() == ["EXT4_FS", "XFS_FS"]


def test_a_set_test_needs_a_quantifier_and_symbols() -> None:
    with pytest.raises(ValueError, match="needs one of some_is"):
        compile_predicate({"configs": ["A"]}, "system", "check")
    with pytest.raises(ValueError, match="non-empty list"):
        compile_predicate({"configs": [], "some_is": "y"}, "system", "check")


def _rule(fix: Any) -> dict[str, Any]:
    return {"rule": [{"id": "XX002", "name": "x", "title": "A rule with fix variants", "severity": "info",
                      "concerns": "boot", "source": "tests", "why": "to test how fix variants are chosen",
                      "check": {"fact": "boot.kaslr", "is": True}, "message": "some message", "fix": fix}]}


def test_fix_variants_are_chosen_by_version_and_arch() -> None:
    (rule,) = compile_rule_document(_rule([
        {"applies": {"versions": "<2.6.20"}, "cmdline_add": ["old"]},
        {"applies": {"arch": ["kexec_file"]}, "cmdline_add": ["file"]},
        {"cmdline_add": ["any"]},
    ]), "x")
    v = KernelVersion.parse

    def chosen(version: str | None, arch: str | None) -> str:
        variant = select(rule.fixes, v(version) if version else None, arch)
        assert variant is not None
        return variant.spec["cmdline_add"][0]

    assert chosen("2.6.13", "i386") == "old"
    assert chosen("6.1", "x86_64") == "file"
    assert chosen("6.1", "i386") == "any"
    assert chosen("6.1", "arm") == "any"
    assert chosen(None, None) == "any"    # an unknown kernel gets only the variant for every kernel


def test_a_variant_after_one_for_every_kernel_is_an_error() -> None:
    with pytest.raises(RuleError, match="never used"):
        compile_rule_document(_rule([{"cmdline_add": ["a"]}, {"applies": {"versions": ">=6.1"}, "cmdline_add": ["b"]}]), "x")


def test_explain_shows_every_variant() -> None:
    result = run_kcheck("explain", "KB001")
    assert result.returncode == 0, result.stderr
    assert "for system kernels <2.6.20:\n    add to the boot command line: crashkernel=64M@16M" in result.stdout
    assert "for every other system kernel:\n    add to the boot command line: crashkernel={boot.crashkernel.advised|size}" \
        in result.stdout


def test_kb007_floor_is_the_advice_floor() -> None:
    """The size every crashkernel= fix writes never trips KB007 (kcheck.domain.crashkernel_advice)."""
    check = tomllib.loads(Path(rules()["KB007"].file).read_text())
    (kb007,) = [r for r in check["rule"] if r["id"] == "KB007"]
    assert parse_number(kb007["check"]["ge"]) <= MIN_SIZE <= DEFAULT_SIZE


@pytest.mark.parametrize(("need", "current", "advised"), [
    (None, None, DEFAULT_SIZE),
    (64 * MiB, None, DEFAULT_SIZE),
    (4001 * MiB, None, 4016 * MiB),
    (4001 * MiB, 256 * MiB, 4016 * MiB),
    (None, 512 * MiB, 512 * MiB),          # big enough: kept
    (None, 64 * MiB, DEFAULT_SIZE),        # below KB007's floor
    (600 * MiB, 512 * MiB, 608 * MiB),     # below the need
])
def test_advised_size(need: int | None, current: int | None, advised: int) -> None:
    assert advised_size(need, current) == advised
    assert advised % GRANULE == 0 or advised == current


@pytest.mark.parametrize("need, current, advised", [
    (None, None, 192 * MiB),               # i386: inside half of the 16M-512M window (KB012)
    (20 * MiB, 256 * MiB, 192 * MiB),      # a region KB012 warns about is not kept
    (20 * MiB, 160 * MiB, 160 * MiB),      # one within it is
    (300 * MiB, None, 304 * MiB),          # a need above the window's half: still the need
])
def test_advised_size_i386(need: int | None, current: int | None, advised: int) -> None:
    """KB011/KB012 on i386: the advice stays where every boot can reserve it."""
    from kcheck.domain.crashkernel_advice import I386_DEFAULT_SIZE, I386_MAX_SIZE

    assert advised_size(need, current, "i386") == advised
    document = tomllib.loads(Path(rules()["KB012"].file).read_text())
    (kb012,) = [r for r in document["rule"] if r["id"] == "KB012"]
    assert MIN_SIZE <= I386_DEFAULT_SIZE <= I386_MAX_SIZE <= parse_number(kb012["check"]["le"])


SET_RULE = '''
[[rule]]
id = "XX003"
name = "named-set"
title = "A rule that names a set of symbols"
severity = "info"
concerns = "capture"
source = "tests"
why = "to test named sets of config symbols"
check = { configs = "%s", some_is = "y" }
message = "none of them is built in"
'''


def test_a_set_test_may_name_a_bundled_set(tmp_path: Path) -> None:
    path = tmp_path / "user.toml"
    path.write_text(SET_RULE % "disk_drivers")
    rule = next(r for r in load_rules([str(path)]) if r.id == "XX003")
    assert rule.check.symbols() == ["BLK_DEV_SD", "BLK_DEV_IDEDISK", "BLK_DEV_NVME", "VIRTIO_BLK"]
    kx009 = rules()["KX009"]
    assert "EXT4_FS" in kx009.when.symbols() and "VIRTIO_BLK" in kx009.when.symbols()


def test_a_file_may_define_its_own_sets(tmp_path: Path) -> None:
    (rule,) = compile_rule_document(tomllib.loads('[sets]\nmine = ["A", "B"]\n' + SET_RULE % "mine"), "x")
    assert rule.check.symbols() == ["A", "B"]


def test_unknown_and_repeated_set_names_are_errors(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="names the set 'nope', which no rule file defines"):
        compile_rule_document(tomllib.loads(SET_RULE % "nope"), "x")
    path = tmp_path / "dup.toml"
    path.write_text('[sets]\ndisk_drivers = ["X"]\n')
    with pytest.raises(RuleError, match="sets.disk_drivers is already defined in .*sets.toml"):
        load_rules([str(path)])


def test_a_fix_variant_may_depend_on_the_set_up() -> None:
    (rule,) = compile_rule_document(_rule([
        {"when": {"config": "KEXEC_FILE", "is": "y"}, "kexec_add": ["-s"]},
        {"config": {"KEXEC": "y"}},
    ]), "x")
    has_file = Facts({"system.config.KEXEC_FILE": "y"})
    assert select(rule.fixes, None, None, has_file).spec == {"kexec_add": ["-s"]}
    assert select(rule.fixes, None, None, Facts({})).spec == {"config": {"KEXEC": "y"}}
    assert select(rule.fixes, None, None).spec == {"config": {"KEXEC": "y"}}   # no set-up: not known to hold
    assert rule.fixes[0].describe() == 'kernels where { config = "KEXEC_FILE", is = "y" }'
    assert not rule.fixes[0].everywhere
