"""The undo log of the Kconfig solver: tentative assignments and how to take them back.

The solver tries alternatives (another choice member, turning a selector off)
and must return to exactly the state before a failed one: kconfiglib values,
choice selections, and which fragment lines were added and why.
"""

from __future__ import annotations

from typing import Any


class Journal:
    """Fragment state (pinned, added, reasons) with every change recorded for rollback."""

    def __init__(self, pinned: dict[str, str]) -> None:
        self.pinned = dict(pinned)  # name -> value the fragment must keep
        self.pin_owner: dict[str, str] = {n: "requested" for n in pinned}
        self.added: dict[str, str] = {}  # name -> value, in order of addition
        self.reasons: dict[str, str] = {}
        self.journal: list[tuple[Any, ...]] = []

    def checkpoint(self) -> int:
        return len(self.journal)

    def rollback(self, mark: int) -> None:
        while len(self.journal) > mark:
            sym, user_value, choice_state, added, reason, pin, seq = self.journal.pop()
            name = sym.name
            if user_value is None:
                sym.unset_value()
            else:
                sym.set_value(user_value)
            order = getattr(sym.kconfig, "choice_seq", None)
            if order is not None and sym.choice is not None:
                self._restore(order, name, seq)  # the member's place in the 6.11+ choice priority
            if choice_state is not None:
                choice, c_value, c_sel = choice_state
                choice.user_value, choice.user_selection = c_value, c_sel
                choice._rec_invalidate()  # kconfiglib has no public "restore" for a choice
            self._restore(self.added, name, added)
            self._restore(self.reasons, name, reason)
            self._restore(self.pinned, name, pin)

    @staticmethod
    def _restore(d: dict[str, Any], key: str, old: Any) -> None:
        if old is None:
            d.pop(key, None)
        else:
            d[key] = old

    def assign(self, sym: Any, value: str, reason: str | None) -> None:
        """Set a user value (as a fragment line would), recording how to undo it."""
        choice = sym.choice
        state = (choice, choice.user_value, choice.user_selection) if choice is not None else None
        name = sym.name
        order = getattr(sym.kconfig, "choice_seq", None) or {}
        self.journal.append((sym, sym.user_value, state, self.added.get(name), self.reasons.get(name),
                             self.pinned.get(name), order.get(name)))
        sym.set_value(value)
        if name not in self.pin_owner or self.pin_owner[name] != "requested":
            self.added[name] = value
            if reason is not None:
                self.reasons[name] = reason
            self.pin_owner.setdefault(name, "added")
        self.pinned[name] = value
