"""The Linux 6.11+ choice rules, taught to kconfiglib 14.1.0.

Why: Linux v6.11 rewrote how a choice picks its member
(scripts/kconfig/symbol.c ``sym_calc_choice``; every assignment read from a
.config moves that member to the front of the choice's priority list,
confdata.c ``conf_read_simple``):

1. the first visible member whose user value is y, in priority order (the
   member assigned last comes first);
2. otherwise the choice's default, unless the user set that member to n;
3. otherwise the first visible member with no user value, in menu order;
4. otherwise the visible member of lowest priority.

And a choice whose prompt is hidden (``prompt "Memory split" if EXPERT``)
still takes a member whenever its ``depends on`` holds: 6.12's olddefconfig
writes CONFIG_VMSPLIT_3G=y with EXPERT=n (6.1 wrote no VMSPLIT line), and
keeps a VMSPLIT_2G=y line.

kconfiglib 14.1.0 keeps the older rules: the last member set to y if it is
visible, else the default (even one the .config set to n), and no member at
all while the choice's prompt is hidden.  The two differ
when a .config's pick becomes invisible: an i386 config with HIGHMEM64G=y,
``# CONFIG_HIGHMEM4G is not set`` and a 486 CPU (no PAE) gets NOHIGHMEM
from the kernel, HIGHMEM4G from plain kconfiglib, so a CRASH_DUMP=y line
would look fine to kconfiglib and be dropped by the kernel.

A Kconfig parsed from a tree of 6.11 or later gets ``choice_rules_611 =
True`` (kcheck.kconfig.tree.load_kconfig); :func:`install` patches
``Symbol.set_value`` (to record the assignment order) and
``Choice._selection`` once, and both behave as before for any other Kconfig.
"""

from __future__ import annotations

import itertools
from typing import Any

_SEQ = itertools.count()
_INSTALLED = False


def enable(kconf: Any) -> None:
    """Use the 6.11+ rules for this Kconfig (a CompatKconfig, which has a __dict__)."""
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    install(kconfiglib)
    kconf.choice_rules_611 = True
    kconf.choice_seq = {}


def install(kl: Any) -> None:
    """Patch kconfiglib's classes once; a no-op for Kconfig objects without ``choice_rules_611``."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    plain_set_value = kl.Symbol.set_value
    plain_selection = kl.Choice._selection
    plain_tri_value = kl.Choice.tri_value

    def set_value(self: Any, value: Any) -> bool:
        ok = plain_set_value(self, value)
        choice = self.choice
        if choice is not None and ok and getattr(self.kconfig, "choice_rules_611", False):
            self.kconfig.choice_seq[self.name] = next(_SEQ)
            choice._rec_invalidate()  # a member's n matters now (rule 2), not only its y
        return ok

    def _selection(self: Any) -> Any:
        if getattr(self.kconfig, "choice_rules_611", False):
            return selection_611(self)
        return plain_selection(self)

    def tri_value(self: Any) -> int:
        if not getattr(self.kconfig, "choice_rules_611", False):
            return plain_tri_value.fget(self)
        # As kconfiglib's, bounded by the choice's `depends on` instead of its prompt.
        val = 0 if self.is_optional else 1
        if self.user_value is not None:
            val = max(val, self.user_value)
        val = min(val, kl.expr_value(self.direct_dep))
        return 2 if val == 1 and self.type is kl.BOOL else val

    set_value.__doc__ = plain_set_value.__doc__
    kl.Symbol.set_value = set_value
    kl.Choice._selection = _selection
    kl.Choice.tri_value = property(tri_value, doc=plain_tri_value.__doc__)


def priority(choice: Any) -> list[Any]:
    """The members in the kernel's priority order: last assigned first, then the rest in menu order."""
    seq = choice.kconfig.choice_seq
    members = choice.syms
    assigned = sorted((s for s in members if s.user_value is not None and s.name in seq),
                      key=lambda s: seq[s.name], reverse=True)
    return assigned + [s for s in members if s not in assigned]


def selection_611(choice: Any) -> Any:
    """The member ``sym_calc_choice`` of Linux 6.11+ picks (None when the choice is not y)."""
    if choice.tri_value != 2:
        return None
    order = priority(choice)
    for sym in order:
        if sym.user_value == 2 and sym.visibility:
            return sym
    default = choice._selection_from_defaults()
    if default is not None and default.user_value != 0:
        return default
    for sym in choice.syms:
        if sym.visibility and sym.user_value is None:
            return sym
    for sym in reversed(order):
        if sym.visibility:
            return sym
    return None
