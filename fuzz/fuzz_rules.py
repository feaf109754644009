"""Fuzz the user rule file loader (TOML, schema, predicate compilation) and the engine.

Rules that load are evaluated on the 2.6.13 set-up of kdump.txt: a rule file
that passes the schema may still name a fact no set-up has or test a fact
with the wrong operator, and that must be a RuleError or a skip, not a crash.
"""

from __future__ import annotations

import _harness
import atheris

with atheris.instrument_imports(include=["kcheck"]):
    import kcheck.inputs.validate  # noqa: F401  imported lazily by the loader
    from kcheck.engine.evaluate import evaluate
    from kcheck.engine.loader import load_rules
    from kcheck.domain.errors import KcheckError
    from kcheck.app.pipeline import CheckRequest, read_setup

OLD = _harness.ROOT / "fixtures" / "2.6.13"
SETUP = read_setup(CheckRequest(system_config=str(OLD / "system.config"), capture_config=str(OLD / "capture.config"),
                                cmdline_file=str(OLD / "cmdline"), kexec_file=str(OLD / "kexec"), memory="1G"))


def TestOneInput(data: bytes) -> None:
    try:
        rules = load_rules([_harness.as_file(data, "rules.toml")], bundled=False)
        evaluate(rules, SETUP)
    except KcheckError:
        pass


if __name__ == "__main__":
    _harness.run(TestOneInput)
