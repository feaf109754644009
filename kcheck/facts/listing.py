"""``kcheck facts``: every fact path a rule may name, generated from the catalogue."""

from __future__ import annotations

from kcheck.facts.catalogue import CATALOGUE


def fact_list(fmt: str) -> str:
    """The catalogue as text (path, type, doc; one line each) or as a JSON list."""
    if fmt == "json":
        import json  # lazy: only this format needs it

        return json.dumps([{"path": f.path, "type": f.type, "input": f.input, "doc": f.doc}
                           for f in CATALOGUE], indent=2) + "\n"
    width = max(len(f.path) for f in CATALOGUE)
    kinds = max(len(f.type) for f in CATALOGUE)
    return "".join(f"{f.path:<{width}}  {f.type:<{kinds}}  {f.doc}\n" for f in CATALOGUE)
