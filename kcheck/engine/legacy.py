"""Read rule files written in the first rule language (before "concerns" and "role").

The word "kernel" used to mean four things in a rule: what the finding is
about (``kernel = "boot"``), whose version decides (``applies.kernel``), whose
config a test reads (``of``) and whose config a fix sets (``fix.kernel``).
They are now ``concerns``, ``applies.role``, ``role`` and ``fix.role``.  User
rule files in the old spelling keep working: :func:`modernise` rewrites a
table into the new one before it is validated or compiled.  The bundled rules
use the new spelling only (tests/unit/engine/test_rule_language.py).
"""

from __future__ import annotations

from typing import Any

#: Old spelling -> new spelling, by where it appears (for the README and the tests).
RENAMED = {
    "rule.kernel": "rule.concerns",
    "rule.applies.kernel": "rule.applies.role",
    "predicate.of": "predicate.role",
    "rule.fix.kernel": "rule.fix.role",
}


def legacy_keys(table: dict[str, Any]) -> list[str]:
    """The old-spelling keys a rule table uses, as ``RENAMED`` names them."""
    found: list[str] = []
    if "kernel" in table:
        found.append("rule.kernel")
    applies = table.get("applies")
    if isinstance(applies, dict) and "kernel" in applies:
        found.append("rule.applies.kernel")
    if any(_has_of(table.get(key)) for key in ("check", "when")):
        found.append("predicate.of")
    if any("kernel" in variant for variant in _variants(table.get("fix"))):
        found.append("rule.fix.kernel")
    return found


def modernise(document: Any) -> Any:
    """A rule document with every old-spelling key renamed; anything else is left as it is."""
    if not isinstance(document, dict) or not isinstance(document.get("rule"), list):
        return document
    return {**document, "rule": [_rule(table) if isinstance(table, dict) else table
                                 for table in document["rule"]]}


def _rule(table: dict[str, Any]) -> dict[str, Any]:
    if not legacy_keys(table):
        return table
    out = dict(table)
    if "kernel" in out and "concerns" not in out:
        out["concerns"] = out.pop("kernel")
    applies = out.get("applies")
    if isinstance(applies, dict) and "kernel" in applies and "role" not in applies:
        applies = dict(applies)
        applies["role"] = applies.pop("kernel")
        out["applies"] = applies
    for key in ("check", "when"):
        if key in out:
            out[key] = _predicate(out[key])
    fix = out.get("fix")
    if isinstance(fix, dict):
        out["fix"] = _fix(fix)
    elif isinstance(fix, list):
        out["fix"] = [_fix(v) if isinstance(v, dict) else v for v in fix]
    return out


def _fix(variant: dict[str, Any]) -> dict[str, Any]:
    if "kernel" not in variant or "role" in variant:
        return variant
    out = dict(variant)
    out["role"] = out.pop("kernel")
    return out


def _predicate(node: Any) -> Any:
    if isinstance(node, list):
        return [_predicate(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _predicate(value) if key in ("all", "any", "not") else value for key, value in node.items()}
    if "of" in out and "role" not in out:
        out["role"] = out.pop("of")
    return out


def _has_of(node: Any) -> bool:
    if isinstance(node, list):
        return any(_has_of(item) for item in node)
    if not isinstance(node, dict):
        return False
    return "of" in node or any(_has_of(node.get(key)) for key in ("all", "any", "not"))


def _variants(fix: Any) -> list[dict[str, Any]]:
    if isinstance(fix, dict):
        return [fix]
    if isinstance(fix, list):
        return [v for v in fix if isinstance(v, dict)]
    return []
