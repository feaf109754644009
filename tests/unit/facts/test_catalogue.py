"""The fact catalogue: every path registered once, resolved by table, computed once."""

from __future__ import annotations

import json
import pytest

from kcheck.app.pipeline import CheckRequest, read_setup
from kcheck.app.preflight import host_setup
from kcheck.domain.findings import KERNELS
from kcheck.facts import catalogue
from kcheck.facts.catalogue import CATALOGUE, known, resolve
from kcheck.facts.protocol import MissingInput
from kcheck.inputs.host import read_host
from tests.conftest import FIXTURES, run_kcheck

OLD = FIXTURES / "2.6.13"


def _example(path: str) -> tuple[str, str]:
    """A concrete path of a fact and its ``<NAME>`` part (families get a name that fits them)."""
    name = "KEXEC" if "<SYMBOL>" in path else "systemd.unit" if ".param." in path else "p" if "<" in path else ""
    return (path[: path.index("<")] + name if name else path), name


def test_every_path_is_registered_once_with_a_type_and_a_doc() -> None:
    paths = [fact.path for fact in CATALOGUE]
    assert len(paths) == len(set(paths))
    for fact in CATALOGUE:
        assert fact.type and fact.doc and fact.doc == fact.doc.strip(), fact.path
        assert fact.input in (*KERNELS, "setup"), fact.path


@pytest.mark.parametrize("fact", CATALOGUE, ids=lambda f: f.path)
def test_each_fact_resolves_to_itself(fact: catalogue.Fact) -> None:
    path, name = _example(fact.path)
    assert resolve(path) == (fact.get, name)


@pytest.mark.parametrize("path", ["system.config.KEXEC", "boot.param.systemd.unit", "kexec.option.args-linux",
                                  "kexec.append.param.root", "host.crash.size", "boot.crashkernel.size"])
def test_known_paths(path: str) -> None:
    assert known(path)


@pytest.mark.parametrize("path", ["boot.crashkernel", "boot.crashkernel.typo", "system.config.A.B",
                                  "kexec.option.a.b", "boot.param.", "boot.param..x", "host.nope",
                                  "system.image.sizes", "setup", "facts.of.nothing", ""])
def test_unknown_paths(path: str) -> None:
    assert not known(path)
    with pytest.raises(KeyError):
        resolve(path)


def test_values_are_computed_once_per_setup() -> None:
    setup = read_setup(CheckRequest(system_config=str(OLD / "system.config"), cmdline_file=str(OLD / "cmdline"),
                                    kexec_file=str(OLD / "kexec")))
    first = setup.lookup("boot.crashkernel.size")
    assert setup.lookup("boot.crashkernel.size") is first
    assert "boot.crashkernel.size" in setup._values


def test_a_fact_of_an_input_not_given_names_the_option() -> None:
    setup = read_setup(CheckRequest(system_config=str(OLD / "system.config")))
    for path, option in (("boot.crashkernel.size", "--cmdline"), ("kexec.panic", "--kexec"),
                         ("capture.image.format", "--capture-image"), ("host.memory", "kcheck preflight")):
        with pytest.raises(MissingInput, match=option):
            setup.lookup(path)


@pytest.mark.parametrize("tree", ["debian-healthy", "fedora-broken"])
def test_the_host_facts_a_host_reader_gives_are_exactly_the_catalogued_ones(tree: str) -> None:
    host = read_host(str(FIXTURES / "hosts" / tree))
    registered = {f.path.removeprefix("host.") for f in CATALOGUE if f.input == "host"}
    assert set(host.facts()) == registered
    setup = host_setup(host)
    assert setup.lookup("host.secure_boot") is host.facts()["secure_boot"]


def test_kcheck_facts_lists_the_catalogue_as_text_and_json() -> None:
    text = run_kcheck("facts")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [f.path for f in CATALOGUE]
    assert "boot.crashkernel.size" in text.stdout and "bytes|None" in text.stdout
    listed = json.loads(run_kcheck("facts", "--format", "json").stdout)
    assert [(f["path"], f["type"], f["doc"], f["input"]) for f in listed] == \
        [(f.path, f.type, f.doc, f.input) for f in CATALOGUE]


def test_every_path_the_bundled_rules_name_is_catalogued() -> None:
    """The loader refuses unknown paths; this says which rule, should one slip in."""
    from kcheck.engine.loader import load_rules

    for rule in load_rules():
        for path in rule.check.paths() + (rule.when.paths() if rule.when else []):
            assert known(path), f"{rule.id}: {path}"
