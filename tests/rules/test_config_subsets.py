"""The committed subsets of Debian's configs stand in for the full files (tests/config_subsets.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kcheck.app.pipeline import read_setup
from kcheck.engine.evaluate import evaluate
from tests.config_subsets import SUBSETS, make_subset, provenance_of
from tests.corpus import corpus_configs, requires_corpus
from tests.modern_setups import modern_setup
from tests.rules.harness import materialise, rules

CASES = Path(__file__).parent


def test_every_subset_says_where_it_comes_from() -> None:
    subsets = sorted(SUBSETS.glob("*/*.config"))
    assert subsets
    for path in subsets:
        provenance = provenance_of(path)
        assert provenance.startswith("Debian linux-config-") and "sha256 " in provenance, path
        readme = (SUBSETS / "README.md").read_text()
        assert f"{path.parent.name}/{path.name}" in readme, f"{path} is not listed in fixtures/debian/README.md"


@requires_corpus("configs")
def test_the_6_1_subsets_are_up_to_date() -> None:
    """Each subset is what the generator makes from the corpus file now: a rule that names a new
    symbol makes this fail until ``python -m tests.config_subsets`` is run."""
    configs = corpus_configs()
    for path in sorted((SUBSETS / "6.1").glob("*.config")):
        assert make_subset(configs[path.stem].read_text(), provenance_of(path)) == path.read_text(), \
            f"{path} is stale: run python -m tests.config_subsets"


def _debian_cases() -> list[tuple[str, str, dict]]:
    out = []
    for path in sorted(CASES.glob("*.toml")):
        document = tomllib.loads(path.read_text())
        for kind in ("pass", "fail"):
            entries = document.get(kind, [])
            for index, case in enumerate(entries if isinstance(entries, list) else [entries]):
                if case.get("base", "").startswith("debian:"):
                    out.append((path.stem, f"{path.stem}-{kind}{index}", case))
    return out


@requires_corpus("configs")
@pytest.mark.parametrize(("rule_id", "name", "case"), _debian_cases(), ids=[c[1] for c in _debian_cases()])
def test_every_rule_judges_the_subset_as_the_full_config(rule_id: str, name: str, case: dict,
                                                         tmp_path: Path) -> None:
    """Every rule, on every Debian rule case: the same status on the subset as on the real file."""
    config = case["base"].removeprefix("debian:")
    on_subset = read_setup(materialise(case, tmp_path / "subset"))
    on_full = read_setup(materialise(case, tmp_path / "full", base=modern_setup(config)))
    every = list(rules().values())
    got = {r.rule: (r.status, r.reason) for r in evaluate(every, on_subset)}
    want = {r.rule: (r.status, r.reason) for r in evaluate(every, on_full)}
    assert got == want
