"""A rule as loaded from a rule file."""

from __future__ import annotations

from kcheck.engine.fixes import FixVariant
from kcheck.engine.predicates import Predicate
from kcheck.domain.findings import RuleInfo, Severity
from kcheck.domain.records import field, record
from kcheck.domain.version import VersionRange

#: Changes whenever :class:`Rule` or what it holds changes shape (part of the rule cache key).
RULE_FORMAT = 2


@record
class Rule:
    """One check, with everything needed to run, explain and fix it.

    ``concerns`` is what a finding is about (a kernel or an input: system,
    capture, boot, kexec, host); ``role`` is the kernel (system or capture)
    whose version and architecture decide whether the rule applies and which
    fix variant is right, whose config a ``config`` test reads and a fix sets
    unless they name another.
    """

    id: str
    name: str
    title: str
    severity: Severity
    concerns: str
    role: str
    why: str
    source: str
    versions: VersionRange
    arch: tuple[str, ...]
    check: Predicate
    when: Predicate | None
    message: str
    fixes: tuple[FixVariant, ...]
    example: dict[str, str] = field(default_factory=dict)
    file: str = ""

    @property
    def symbols(self) -> tuple[str, ...]:
        """The config symbols the check reads, with the CONFIG_ prefix, in order."""
        seen: dict[str, None] = {}
        for symbol in self.check.symbols():
            seen.setdefault(f"CONFIG_{symbol}")
        for variant in self.fixes:
            for symbol in variant.spec.get("config", {}):
                seen.setdefault(f"CONFIG_{symbol}")
        return tuple(seen)

    @property
    def scope(self) -> str:
        """The old name of :attr:`role`."""
        return self.role

    def applies_to(self) -> str:
        """A human phrase for where the rule applies (for ``kcheck rules``)."""
        parts = [self.versions.text.strip() or "all versions"]
        parts.append(", ".join(self.arch) if self.arch else "all architectures")
        return "; ".join(parts)

    def info(self) -> RuleInfo:
        """The rule as reporters see it (SARIF rule descriptors); the help text is built on demand."""
        return RuleInfo(id=self.id, name=self.name, title=self.title, why=" ".join(self.why.split()),
                        severity=self.severity, concerns=self.concerns, source=self.source, rule=self)
