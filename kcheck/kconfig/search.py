"""The search machinery under the Kconfig solver: alternatives, their cost, fixed symbols.

Why apart from :mod:`kcheck.kconfig.solver`: the solver says what makes a
value stick in kconfig's semantics; this says how alternatives are compared
(fewest assignments, then fewest options turned off, then fewest symbols
touched, then menu order) and what
"fixed on this architecture" means.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kcheck.kconfig.explain import Failure, never_true
from kcheck.kconfig.journal import Journal

MAX_DEPTH = 24


class Search(Journal):
    """Stateful search over one loaded ``Kconfig`` (the base config already loaded)."""

    def __init__(self, kconf: Any, base_label: str, pinned: dict[str, str]) -> None:
        import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

        super().__init__(pinned)
        self.k = kconf
        self.kl = kconfiglib
        self.base_label = base_label
        self._order: dict[int, int] | None = None
        self._fixed: dict[int, bool] = {}
        self._active: set[int] = set()

    def order(self, expr: Any) -> int:
        """Menu position of the first symbol in ``expr`` (tie-break between alternatives)."""
        if self._order is None:
            self._order = {}
            for i, node in enumerate(self.k.node_iter()):
                self._order.setdefault(id(node.item), i)
        best = 1 << 30
        for sym in self.kl.expr_items(expr):
            best = min(best, self._order.get(id(sym), 1 << 30))
        return best

    def is_fixed(self, sym: Any, depth: int = 0) -> bool:
        """True when no user assignment can change ``sym`` (no prompt, inputs all fixed).

        This is what "on this architecture" means: e.g. X86_32 on ARCH=x86_64
        is `def_bool y depends on !64BIT` and 64BIT has no prompt there.
        """
        kl = self.kl
        if sym.is_constant or sym.__class__ is not kl.Symbol:
            return True
        key = id(sym)
        if key in self._fixed:
            return self._fixed[key]
        if depth > MAX_DEPTH or sym.choice is not None or any(
            node.prompt and not never_true(node.prompt[1]) for node in sym.nodes
        ):
            self._fixed[key] = False
            return False
        self._fixed[key] = True  # provisional, breaks cycles
        inputs = [sym.direct_dep, sym.rev_dep, sym.weak_rev_dep]
        for value, cond in sym.defaults:
            inputs += [value, cond]
        fixed = all(self.is_fixed(s, depth + 1) for e in inputs for s in kl.expr_items(e))
        self._fixed[key] = fixed
        return fixed

    def fixed_text(self, sym: Any, named: bool = False) -> str:
        """Why a fixed symbol cannot change, in words ("is n on this architecture")."""
        who = f"CONFIG_{sym.name} " if named and not sym.is_constant else ""
        if sym.is_constant:
            return f"{who}is always {sym.str_value}" if sym.name in ("y", "m", "n") else f"{who}is a constant"
        if not sym.nodes:
            return f"{who}is not defined on this architecture" if named else "this architecture does not define"
        return f"{who}is {sym.str_value or 'unset'} on this architecture"

    def now(self, sym: Any) -> str:
        value = sym.str_value if sym.str_value != "" else '""'
        return f"CONFIG_{sym.name}={value} in {self.base_label}"

    def cheapest(self, alternatives: list[tuple[int, Callable[[], None]]], what: str) -> None:
        """Try each alternative, keep the one with the fewest extra assignments.

        Among equally short ones, the one that turns fewer options off wins (on
        arm, SUSPEND=y rather than SMP=n for ARCH_SUPPORTS_KEXEC = (!SMP ||
        PM_SLEEP_SMP) && MMU), then the one that touches the fewest other
        symbols, then menu order.
        """
        costs: list[tuple[int, int, int, int]] = []
        failures: list[str] = []
        for idx, (order, attempt) in enumerate(alternatives):
            mark = self.checkpoint()
            try:
                attempt()
            except Failure as e:
                failures.append(str(e))
            else:
                offs = sum(1 for entry in self.journal[mark:] if entry[0].user_value in (0, "n"))
                costs.append((len(self.journal) - mark, offs, order, idx))
            self.rollback(mark)
        if not costs:
            raise Failure(f"{what}: " + "; or ".join(dict.fromkeys(failures)) if failures else what)
        best = min(costs)[:2]
        tied = [(order, idx) for n, offs, order, idx in costs if (n, offs) == best]
        if len(tied) > 1:
            tied = sorted((self._disruption(alternatives[idx][1]), order, idx) for order, idx in tied)
            alternatives[tied[0][2]][1]()
        else:
            alternatives[tied[0][1]][1]()

    def _disruption(self, attempt: Callable[[], None]) -> int:
        """How much of the configuration ``attempt`` touches: the symbols whose value it may change.

        kconfiglib drops the cached value of every symbol that depends on an
        assignment; counting the cached values that go away is two attribute
        scans, where evaluating 6.12's 16,000 symbols again costs ~0.3 s per
        alternative.  Turning SMP off touches thousands; SUSPEND=y a few dozen.
        """
        syms = self.k.unique_defined_syms
        cached = [s._cached_tri_val is not None for s in syms]
        mark = self.checkpoint()
        attempt()
        touched = sum(1 for s, was in zip(syms, cached) if was and s._cached_tri_val is None)
        self.rollback(mark)
        return touched
