"""A rule's fix as data, with variants for the kernels it differs on.

Advice right for 2.6.13 is wrong for 6.12 (``crashkernel=64M@16M`` fixes a
2.6.13 boot line and trips two other rules on a KASLR kernel), and a config
symbol may not exist on every architecture (``KEXEC_FILE`` on i386).  So a
rule's ``fix`` is either one table or a list of variants, each with its own
``applies = { versions = ..., arch = [...] }`` and, where the right fix depends
on the set-up itself, a ``when`` predicate (``{ config = "KEXEC_FILE", is = "y" }``);
the first variant that applies to the rule's kernel (its ``role``) and whose
``when`` holds is the fix of a finding.  A variant with neither applies
everywhere and so must come last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kcheck.domain import arch as arches
from kcheck.domain.findings import EDITS, FIX_VERBS, ROLES
from kcheck.domain.records import record
from kcheck.domain.version import KernelVersion, VersionRange
from kcheck.engine.predicates import Predicate, compile_predicate
from kcheck.facts.protocol import MissingInput, Unknown

if TYPE_CHECKING:
    from kcheck.facts.protocol import Facts

#: The words of each command edit (findings.EDITS, the one table of them) in ``kcheck explain``,
#: in the order a fix applies them (removals first).
VERB_LABELS = {verb: f"{'add to' if verb.endswith('_add') else 'remove from'} the {command}"
               for verb, (command, _) in EDITS.items()}


@record
class FixVariant:
    """One fix and the kernels (versions, architectures) it is right for."""

    versions: VersionRange
    arch: tuple[str, ...]
    role: str                      # the kernel whose config ``config`` sets
    spec: dict[str, Any]           # the verbs of FIX_VERBS that this variant uses
    when: Predicate | None = None  # a condition on the set-up
    condition: str = ""            # ``when`` as the rule file writes it (for explain)

    @property
    def everywhere(self) -> bool:
        return self.versions.unbounded and not self.arch and self.when is None

    def holds(self, facts: Facts) -> bool:
        """Whether ``when`` holds; a condition that cannot be decided does not."""
        if self.when is None:
            return True
        try:
            return self.when.test(facts)
        except (Unknown, MissingInput):
            return False

    def applies(self, version: KernelVersion | None, arch: str | None) -> bool:
        """Whether the variant is right for a kernel; an unknown version or arch matches only a
        variant that does not depend on it."""
        if not self.versions.unbounded and (version is None or not self.versions.contains(version)):
            return False
        return not self.arch or (arch is not None and arches.matches(arch, self.arch))

    def describe(self) -> str:
        """``kernels >=2.6.13, <2.6.20 on i386`` (for explain)."""
        if self.everywhere:
            return "every kernel"
        parts = ["kernels"]
        if not self.versions.unbounded:
            parts.append(self.versions.text.strip())
        if self.arch:
            parts.append("on " + ", ".join(
                f"{name} ({', '.join(sorted(arches.FAMILIES[name]))})" if name in arches.FAMILIES else name
                for name in self.arch))
        if self.condition:
            parts.append(f"where {self.condition}")
        return " ".join(parts)


def compile_fixes(raw: Any, role: str, where: str = "fix") -> tuple[FixVariant, ...]:
    """The variants of a rule's ``fix`` (a table or a list of tables); ValueError names what is wrong."""
    if raw is None:
        return ()
    tables = raw if isinstance(raw, list) else [raw]
    if not tables:
        raise ValueError(f"{where}: an empty list; leave fix out instead")
    variants: list[FixVariant] = []
    for index, table in enumerate(tables):
        here = f"{where}[{index}]" if isinstance(raw, list) else where
        if not isinstance(table, dict):
            raise ValueError(f"{here}: expected a table")
        if variants and variants[-1].everywhere:
            raise ValueError(f"{here}: never used: the variant before it applies to every kernel")
        variants.append(_variant(table, role, here))
    return tuple(variants)


def _variant(table: dict[str, Any], role: str, where: str) -> FixVariant:
    unknown = set(table) - set(FIX_VERBS) - {"applies", "role", "when"}
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    applies = table.get("applies", {})
    if not isinstance(applies, dict) or set(applies) - {"versions", "arch"}:
        raise ValueError(f"{where}.applies: only versions and arch")
    arch = tuple(applies.get("arch", ()))
    for name in arch:
        if not arches.known_selector(name):
            raise ValueError(f"{where}.applies.arch: unknown architecture {name!r}")
    fix_role = table.get("role", role)
    if fix_role not in ROLES:
        raise ValueError(f"{where}.role: must be \"system\" or \"capture\", not {fix_role!r}")
    spec = {verb: table[verb] for verb in FIX_VERBS if verb in table}
    when = compile_predicate(table["when"], role, f"{where}.when") if "when" in table else None
    condition = _inline(table["when"]) if "when" in table else ""
    return FixVariant(VersionRange.parse(applies.get("versions", "")), arch, fix_role, spec, when, condition)


def _inline(value: Any) -> str:
    """A TOML inline rendering of a predicate table, as a rule file would write it."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_inline(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def select(variants: tuple[FixVariant, ...], version: KernelVersion | None,
           arch: str | None, facts: Facts | None = None) -> FixVariant | None:
    """The first variant right for the kernel (and, given ``facts``, the set-up), or None."""
    return next((v for v in variants if v.applies(version, arch)
                 and (v.when is None or (facts is not None and v.holds(facts)))), None)
