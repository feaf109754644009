"""Rule documentation generated from the rule files themselves.

``kcheck rules`` lists them and ``kcheck explain`` prints one rule's page in
the shape of ruff's rule pages: what it checks, why it matters, an example,
the fix, where it applies and the source.  Nothing is written twice.
"""

from __future__ import annotations

import textwrap
from typing import Any

from kcheck.engine.fixes import VERB_LABELS
from kcheck.engine.loader import load_rules
from kcheck.engine.rule import Rule
from kcheck.domain.errors import KcheckError
from kcheck.domain.findings import INPUTS


def rule_list(extra: tuple[str, ...], fmt: str) -> str:
    rules = load_rules(extra)
    if fmt == "json":
        import json  # lazy: json: only JSON output

        return json.dumps([_summary(rule) for rule in rules], indent=2) + "\n"
    lines = [f"{r.id}  {r.severity.label:<7} {r.concerns:<7} {r.name:<38} {r.applies_to()}"
             for r in rules]
    return "\n".join(lines) + "\n"


def _summary(rule: Rule) -> dict[str, object]:
    return {"id": rule.id, "name": rule.name, "title": rule.title,
            "severity": rule.severity.label, "concerns": rule.concerns, "role": rule.role,
            "kernel": rule.concerns,  # the old name of "concerns", kept for scripts that read it
            "versions": rule.versions.text or None, "arch": list(rule.arch) or None,
            "source": rule.source}


def find_rule(rule_id: str, extra: tuple[str, ...]) -> Rule:
    for rule in load_rules(extra):
        if rule_id.upper() == rule.id or rule_id == rule.name:
            return rule
    raise KcheckError(rule_id, "no such rule (see 'kcheck rules')")


def rule_page(rule_id: str, extra: tuple[str, ...]) -> str:
    rule = find_rule(rule_id, extra)
    out = [f"{rule.id} {rule.name}: {rule.title}", "", rule_help(rule), "", f"Defined in {rule.file}"]
    return "\n".join(out) + "\n"


def rule_help(rule: Rule, width: int = 78) -> str:
    """The body of ``kcheck explain``: severity, scope, why, example, fix.

    ``width=0`` leaves the paragraph unwrapped (SARIF help; wrapping every
    rule on every run would cost more start-up time than the check).
    """
    why = " ".join(rule.why.split())
    if width:
        why = textwrap.fill(why, width)
    concerns = INPUTS.get(rule.concerns, rule.concerns)
    applies = rule.applies_to() + ("" if rule.role == rule.concerns else f" (of the {rule.role} kernel)")
    out = [f"Severity: {rule.severity.label}    Concerns: the {concerns}",
           f"Applies to: {applies}", f"Source: {rule.source}", "",
           "## Why it matters", why]
    if rule.example:
        out += ["", "## Example"]
        if "bad" in rule.example:
            out.append(f"    wrong:  {rule.example['bad']}")
        if "good" in rule.example:
            out.append(f"    right:  {rule.example['good']}")
    fix = _fix_text(rule)
    if fix:
        out += ["", "## Fix", *fix]
    return "\n".join(out)


def _fix_text(rule: Rule) -> list[str]:
    """Every fix variant, each under the kernels it is for when there are several."""
    if len(rule.fixes) == 1 and rule.fixes[0].everywhere:
        return _variant_lines(rule.fixes[0].spec, rule.fixes[0].role, rule, "    ")
    lines: list[str] = []
    for index, variant in enumerate(rule.fixes):
        if variant.everywhere:
            lines.append(f"  for every {'other ' if index else ''}{rule.role} kernel:")
        else:
            lines.append(f"  for {rule.role} {variant.describe()}:")
        lines.extend(_variant_lines(variant.spec, variant.role, rule, "    "))
    if rule.fixes and not rule.fixes[-1].everywhere:
        lines.append(f"  for any other {rule.role} kernel: no fix is known")
    return lines


def _variant_lines(spec: dict[str, Any], role: str, rule: Rule, indent: str) -> list[str]:
    lines: list[str] = []
    for symbol, value in spec.get("config", {}).items():
        line = f"# CONFIG_{symbol} is not set" if value == "n" else f"CONFIG_{symbol}={value}"
        lines.append(f"{indent}{line}" + (f"   (in the {role} kernel)" if role != rule.concerns else ""))
    for key, label in VERB_LABELS.items():
        if spec.get(key):
            lines.append(f"{indent}{label}: {' '.join(spec[key])}")
    if spec.get("text"):
        lines.append(f"{indent}{spec['text']}")
    return lines
