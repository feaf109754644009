"""A rule as loaded from a rule file."""

from __future__ import annotations

from typing import Any

from kcheck.engine.predicates import Predicate
from kcheck.domain.findings import RuleInfo, Severity
from kcheck.domain.records import field, record
from kcheck.domain.version import VersionRange


@record
class Rule:
    """One check, with everything needed to run, explain and fix it.

    ``kernel`` is what the finding concerns; ``scope`` is the kernel whose
    version and architecture decide whether the rule applies at all.
    """

    id: str
    name: str
    title: str
    severity: Severity
    kernel: str
    scope: str
    why: str
    source: str
    versions: VersionRange
    arch: tuple[str, ...]
    check: Predicate
    when: Predicate | None
    message: str
    fix: dict[str, Any]
    example: dict[str, str] = field(default_factory=dict)
    file: str = ""

    @property
    def symbols(self) -> tuple[str, ...]:
        """The config symbols the check reads, with the CONFIG_ prefix, in order."""
        seen: dict[str, None] = {}
        for symbol in self.check.symbols():
            seen.setdefault(f"CONFIG_{symbol}")
        for symbol in self.fix.get("config", {}):
            seen.setdefault(f"CONFIG_{symbol}")
        return tuple(seen)

    def applies_to(self) -> str:
        """A human phrase for where the rule applies (for ``kcheck rules``)."""
        parts = [self.versions.text.strip() or "all versions"]
        parts.append(", ".join(self.arch) if self.arch else "all architectures")
        return "; ".join(parts)

    def info(self) -> RuleInfo:
        """The rule as reporters see it (SARIF rule descriptors); the help text is built on demand."""
        return RuleInfo(id=self.id, name=self.name, title=self.title, why=" ".join(self.why.split()),
                        severity=self.severity, kernel=self.kernel, source=self.source, rule=self)
