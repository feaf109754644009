"""The schemas (data, JSON) say what the one Python table of each domain list says.

A JSON Schema cannot import kcheck's tables, so each enum written in a
schema is compared with its table here: the inputs a finding can concern,
the two roles, the architectures and families, and the fix verbs.
"""

from __future__ import annotations

import json
from typing import Any

from kcheck.domain import arch
from kcheck.domain.findings import EDITS, FIX_VERBS, KERNELS, ROLES
from tests.conftest import ROOT


def _schema(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "schemas" / name).read_text())


def _enums(node: Any, key: str) -> list[list[str]]:
    """Every ``enum`` found under a property called ``key``, anywhere in the schema."""
    found: list[list[str]] = []
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and isinstance(value, dict) and "enum" in value:
                found.append(value["enum"])
            found.extend(_enums(value, key))
    elif isinstance(node, list):
        for item in node:
            found.extend(_enums(item, key))
    return found


def test_rule_schema_names_the_inputs_roles_and_architectures_of_the_tables() -> None:
    rule = _schema("rule.schema.json")
    assert _enums(rule, "concerns") and all(e == list(KERNELS) for e in _enums(rule, "concerns"))
    assert rule["$defs"]["role"]["enum"] == list(ROLES)
    assert set(rule["$defs"]["arch"]["items"]["enum"]) == set(arch.ARCHES) | set(arch.FAMILIES)


def test_rule_schema_fix_verbs_are_the_table() -> None:
    variant = _schema("rule.schema.json")["$defs"]["fixVariant"]["properties"]
    assert set(variant) - {"applies", "role", "when"} == set(FIX_VERBS)
    assert list(FIX_VERBS) == ["config", *EDITS, "text"]


def test_waiver_schema_names_the_inputs_of_the_table() -> None:
    enums = _enums(_schema("waivers.schema.json"), "concerns") + _enums(_schema("waivers.schema.json"), "kernel")
    assert enums and all(e == list(KERNELS) for e in enums)


def test_verdict_order_ranks_every_input_of_the_table() -> None:
    """Pre-flight and the fleet roll-up pick a verdict's reason by VERDICT_ORDER: every input, once."""
    from kcheck.domain.findings import INPUTS, VERDICT_ORDER

    assert sorted(VERDICT_ORDER) == sorted(INPUTS) and len(VERDICT_ORDER) == len(set(VERDICT_ORDER))


def test_report_schema_kernel_names_are_the_table() -> None:
    """The report's ``concerns`` (and its deprecated twin ``kernel``) name the inputs of the table."""
    report = _schema("report.schema.json")
    assert report["$defs"]["kernelName"]["enum"] == list(KERNELS)
    waiver = report["$defs"]["waiver"]
    assert waiver["properties"]["concerns"] == {**waiver["properties"]["kernel"],
                                                "description": waiver["properties"]["concerns"]["description"]}


def test_every_architecture_has_its_source_directory_and_kconfig_agrees() -> None:
    """domain.arch.SRCARCH (what the kdump table is keyed by) is the kconfig reader's mapping."""
    from kcheck.kconfig.tree import ARCHES as KCONFIG_ARCHES

    assert set(arch.SRCARCH) == set(arch.ARCHES)
    assert all(KCONFIG_ARCHES[name][1] == src for name, src in arch.SRCARCH.items())


def test_kdump_series_picks_the_row_at_or_below_the_version() -> None:
    assert arch.kdump_series((6, 12, 5))[0] == (6, 12)
    assert arch.kdump_series((6, 6))[0] == (6, 1)
    assert arch.kdump_series((2, 6, 13))[0] == (6, 1)
    assert arch.kdump_series(None)[0] == (6, 12)
    assert arch.kdump_series((7, 0))[0] == (6, 12)


def test_a_fix_record_holds_the_fix_verbs_of_the_table() -> None:
    """Fix's fields are the verbs of FIX_VERBS (config for one kernel, the command edits, text):
    the evaluator fills the edits from EDITS, so a verb added to the table needs its field."""
    from kcheck.domain.findings import Fix

    fields = Fix.__record_fields__  # type: ignore[attr-defined]
    assert sorted(fields) == sorted(("config_kernel", *FIX_VERBS)) and len(fields) == len(FIX_VERBS) + 1
