"""Evaluate rules over a set-up: applicability, the check, the finding.

The engine returns data and never prints.  For each rule it answers one of:
PASS, FAIL (with a :class:`Finding`), or SKIP with the reason (outside the
rule's versions or architectures, an input not given, a value unknown).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kcheck.domain import arch as arches
from kcheck.engine.fixes import FixVariant, select
from kcheck.engine.predicates import UnknownFact
from kcheck.engine import undecided as undecided_by
from kcheck.engine.rule import Rule
from kcheck.engine.template import FIX_LIMIT, MESSAGE_LIMIT, TooLong
from kcheck.engine.template import render as template_render
from kcheck.domain.errors import RuleError
from kcheck.facts.catalogue import known as known_fact
from kcheck.facts.protocol import MissingInput, Unknown
from kcheck.domain.memparse import format_size
from kcheck.domain.findings import EDITS, ROLES, Finding, Fix, Location, RuleResult, Status
from kcheck.domain.text import abbreviate
from kcheck.domain.units import format_hex

if TYPE_CHECKING:
    from kcheck.facts.protocol import KernelFacts, SetupFacts


# The fields of a template (kcheck.engine.template parses them fully).
_FIELD = r"\{([A-Za-z0-9_.\-]+)(?:\|(hex|size))?\}"


def evaluate(rules: Iterable[Rule], setup: SetupFacts) -> list[RuleResult]:
    return [evaluate_rule(rule, setup) for rule in rules]


def evaluate_rule(rule: Rule, setup: SetupFacts) -> RuleResult:
    scope: KernelFacts = getattr(setup, rule.role)
    reason, undecided = _not_applicable(rule, scope, setup.same_kernel)
    if reason:
        return RuleResult(rule.id, rule.concerns, Status.SKIP, reason, undecided=undecided)
    try:
        if rule.when is not None and not rule.when.test(setup):
            return RuleResult(rule.id, rule.concerns, Status.SKIP, "does not apply to this set-up")
        if rule.check.test(setup):
            return RuleResult(rule.id, rule.concerns, Status.PASS)
        finding = _finding(rule, setup)
    except MissingInput as missing:
        return RuleResult(rule.id, rule.concerns, Status.SKIP, f"needs {missing.args[0]}",
                          undecided=undecided_by.missing_input(missing.args[0]))
    except Unknown as unknown:
        return RuleResult(rule.id, rule.concerns, Status.SKIP, f"cannot decide: {unknown}",
                          undecided=undecided_by.unknown_fact(unknown.path, str(unknown), unknown.undecided))
    except UnknownFact as unknown_path:
        # The schema checks only a fact path's shape, so a typo in a user rule
        # file surfaces here, as an error in that file.
        raise RuleError(rule.file, f"rule {rule.id}: unknown fact {unknown_path.args[0]!r}") from None
    return RuleResult(rule.id, rule.concerns, Status.FAIL, finding=finding)


def check_fact_paths(rule: Rule, source: str) -> None:
    """Every fact the rule's check, condition and message name is in the catalogue.

    The schema checks only a path's shape; a typo is found here, when the
    file is loaded, even in a rule that does not apply to the set-up at hand.
    """
    paths = rule.check.paths() + (rule.when.paths() if rule.when is not None else [])
    paths += [f"{rule.role}.{path}" if path.startswith("config.") else path
              for path, _ in re.findall(_FIELD, rule.message)]
    for path in paths:
        if not known_fact(path):
            raise RuleError(source, f"rule {rule.id}: unknown fact {path!r} (see 'kcheck facts')")


def _about_the_arch(rule: Rule) -> bool:
    """A rule whose check is about the kernel's architecture itself (KS012, KS011, KC017)."""
    return any(path.endswith((".arch_kdump", ".arch_conflict")) for path in rule.check.paths())


def _not_applicable(rule: Rule, scope: KernelFacts, same_kernel: bool) -> tuple[str, str | None]:
    """Why the rule is skipped before its check runs ("" if it runs), and the undecided cause.

    What is known rules a rule out first: an arm64 kernel of unknown version
    is outside an i386-only rule, not undecided by it.
    """
    versions, arch = not rule.versions.unbounded, bool(rule.arch)
    if versions and scope.version is not None and not rule.versions.contains(scope.version):
        return f"{rule.role} kernel {scope.version} is outside {rule.versions.text}", None
    if arch and scope.arch is not None and not arches.matches(scope.arch, rule.arch):
        return f"{rule.role} kernel is {scope.arch}, rule applies to {', '.join(rule.arch)}", None
    if scope.arch in arches.NO_KDUMP and not _about_the_arch(rule):
        # No kdump there at all (KDUMP_SRCARCH): only the rules about the architecture itself
        # speak; a fix such as CONFIG_CRASH_DUMP=y cannot exist for it.
        return f"{rule.role} kernel is {scope.arch}, which has no kdump", None
    unknown = (versions and scope.version is None) or (arch and scope.arch is None)
    if unknown and scope.config is None and scope.image is None:
        return f"needs --{rule.role}-config", undecided_by.missing_input(f"--{rule.role}-config")
    if versions and scope.version is None:
        return (f"{rule.role} kernel version unknown (rule applies to {rule.versions.text})",
                undecided_by.unknown_scope(rule.role, "version", same_kernel))
    if arch and scope.arch is None:
        return (f"{rule.role} kernel architecture unknown (rule applies to {', '.join(rule.arch)})",
                undecided_by.unknown_scope(rule.role, "architecture", same_kernel))
    return "", None


def _finding(rule: Rule, setup: SetupFacts) -> Finding:
    return Finding(
        rule=rule.id,
        name=rule.name,
        severity=rule.severity,
        concerns=rule.concerns,
        title=rule.title,
        message=render(rule.message, rule, setup),
        symbols=rule.symbols,
        fix=_fix(rule, setup),
        reference=rule.source,
        location=_location(rule, setup),
    )


def render(template: str, rule: Rule, setup: SetupFacts, role: str | None = None, *, fix: bool = False) -> str:
    """Fill ``{path}``/``{path|hex}``/``{path|size}`` fields with the set-up's values.

    ``config.X`` is the config of ``role`` (by default the rule's).  Values
    that are absent read as ``not set``; nothing in a template is ever
    evaluated as code.  In a message each value is abbreviated and the whole
    is cut at MESSAGE_LIMIT; a fix keeps values whole and may not pass FIX_LIMIT.
    """
    def field(path: str, style: str | None) -> str:
        if path.startswith("config."):
            path = f"{role or rule.role}.{path}"
        try:
            value = setup.lookup(path)
        except (MissingInput, Unknown):
            value = None
        except KeyError:
            raise RuleError(rule.file, f"rule {rule.id}: unknown fact {path!r} in a template") from None
        shown = _show(value, style)
        return shown if fix else abbreviate(shown)

    try:
        return template_render(template, field, limit=FIX_LIMIT if fix else MESSAGE_LIMIT, cut=not fix)
    except ValueError as exc:
        raise RuleError(rule.file, f"rule {rule.id}: {exc}") from None
    except TooLong as exc:
        raise RuleError(rule.file, f"rule {rule.id}: the fix renders to {exc.args[0]} characters, "
                                   f"more than {FIX_LIMIT}") from None


def _show(value: Any, style: str | None) -> str:
    if value is None:
        return "not set"
    if value is True:
        return "present"
    if value is False:
        return "absent"
    if style and not isinstance(value, bool):
        try:
            number = value if isinstance(value, int) else int(str(value), 0)
        except ValueError:
            return str(value)
        return format_hex(number) if style == "hex" else format_size(number)
    if value == "n":
        return "n (not set)"
    return str(value)


def fix_variant(rule: Rule, setup: SetupFacts) -> FixVariant | None:
    """The variant of the rule's fix right for the kernel at hand (its role's version and arch)."""
    kernel: KernelFacts = getattr(setup, rule.role)
    return select(rule.fixes, kernel.version, kernel.arch, setup)


def _fix(rule: Rule, setup: SetupFacts) -> Fix:
    variant = fix_variant(rule, setup)
    if variant is None:
        if not rule.fixes:
            return Fix()
        kernel: KernelFacts = getattr(setup, rule.role)
        where = " ".join(str(part) for part in (kernel.version, kernel.arch) if part) or "of unknown version"
        return Fix(text=f"kcheck knows no fix for this {rule.role} kernel ({where}); see kcheck explain {rule.id}")
    spec, role = variant.spec, variant.role
    config = tuple((symbol, render(str(value), rule, setup, role, fix=True))
                   for symbol, value in spec.get("config", {}).items())

    def rendered(key: str) -> tuple[str, ...]:
        return tuple(render(item, rule, setup, role, fix=True) for item in spec.get(key, ()))

    return Fix(config_kernel=role if config else None, config=config,
               **{verb: rendered(verb) for verb in EDITS},
               text=render(spec.get("text", ""), rule, setup, role, fix=True))


def _location(rule: Rule, setup: SetupFacts) -> Location | None:
    """The config line of the first symbol the check reads, else the input itself."""
    config = getattr(setup, rule.role).config
    if rule.concerns in ROLES and config is not None:
        for symbol in rule.check.symbols():
            line = config.lines.get(symbol)
            if line is not None:
                return Location(config.path, line)
        return Location(config.path)
    if rule.concerns == "boot" and setup.cmdline_source:
        return Location(setup.cmdline_source, 1)
    if rule.concerns == "kexec":
        return Location(setup.kexec_source, 1 if setup.kexec_source != "--kexec" else None)
    return None
