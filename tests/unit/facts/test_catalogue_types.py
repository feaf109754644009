"""Each fact's value has the type the catalogue says, on real set-ups and host trees."""

from __future__ import annotations

from typing import Any

import pytest

from kcheck.app.pipeline import CheckRequest, read_setup
from kcheck.app.preflight import host_setup
from kcheck.facts.catalogue import CATALOGUE
from kcheck.facts.protocol import MissingInput, Unknown
from kcheck.inputs.host import read_host
from tests.conftest import FIXTURES

OLD = FIXTURES / "2.6.13"
_KINDS = {"str": str, "bool": bool, "int": int, "bytes": int, "address": int, "None": type(None)}


def _has_type(value: Any, declared: str) -> bool:
    kinds = [_KINDS[name] for name in declared.split("|")]
    if isinstance(value, bool):  # a bool is an int to Python, not to a rule
        return bool in kinds
    return isinstance(value, tuple(kinds))


def _example(path: str) -> str:
    return path.replace("<SYMBOL>", "KEXEC").replace("<name>", "irqpoll")


def _setups() -> list[Any]:
    checked = read_setup(CheckRequest(system_config=str(OLD / "system.config"),
                                      capture_config=str(OLD / "capture.config"),
                                      cmdline_file=str(OLD / "cmdline"), kexec_file=str(OLD / "kexec"),
                                      memory="1G"))
    hosts = [host_setup(read_host(str(FIXTURES / "hosts" / tree)))
             for tree in ("debian-healthy", "debian-broken", "fedora-healthy", "fedora-broken")]
    return [checked, *hosts]


@pytest.mark.parametrize("setup", _setups(), ids=["2.6.13", "debian-healthy", "debian-broken",
                                                  "fedora-healthy", "fedora-broken"])
def test_every_fact_has_its_declared_type(setup: Any) -> None:
    checked = 0
    for fact in CATALOGUE:
        try:
            value = setup.lookup(_example(fact.path))
        except (MissingInput, Unknown):
            continue
        assert _has_type(value, fact.type), f"{fact.path} = {value!r}, declared {fact.type}"
        checked += 1
    assert checked > 20
