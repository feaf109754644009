"""Words for Kconfig dependencies: the reason and failure texts of ``kcheck fix``.

Every symbol is spelled CONFIG_X so a reason reads like the .config lines it
talks about ("CONFIG_X86_UP_APIC needs !CONFIG_SMP; CONFIG_SMP=y in capture.config").
"""

from __future__ import annotations

from typing import Any

from kcheck.domain.records import record


@record
class Why:
    """The need that brought a symbol into the search, for the reason text."""

    requester: str  # symbol name (no CONFIG_ prefix) whose dependency this is
    need: str  # the dependency term in words, e.g. "!SMP" or "CONFIG_HIGHMEM"
    # Set while expanding a symbol without a prompt (HIGHMEM = HIGHMEM4G ||
    # HIGHMEM64G): the reason keeps naming that symbol, not its inputs.
    locked: bool = False


class Failure(Exception):
    """An assignment that cannot be made; the message is the user-facing reason."""


def term_str(expr: Any) -> str:
    """A dependency term in Kconfig syntax with every symbol spelled CONFIG_X (!CONFIG_SMP)."""
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    def name(sc: Any) -> str:
        if sc.__class__ is kconfiglib.Symbol and not sc.is_constant:
            return f"CONFIG_{sc.name}"
        return kconfiglib.standard_sc_expr_str(sc)

    return kconfiglib.expr_str(expr, name)


def dep_text(sym: Any) -> str:
    """The unmet `depends on` terms of a symbol, in words."""
    import kconfiglib as kl  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    unmet = [term_str(t) for t in kl.split_expr(sym.direct_dep, kl.AND) if not kl.expr_value(t)]
    return "unmet: " + ", ".join(unmet) if unmet else f"depends on {term_str(sym.direct_dep)}"


def forced_text(sym: Any) -> str:
    """Why a symbol holds its value: who selects it, or that it has no usable prompt."""
    import kconfiglib as kl  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    sel = [term_str(t) for t in kl.split_expr(sym.rev_dep, kl.OR) if kl.expr_value(t)]
    if sel:
        return f"CONFIG_{sym.name} is selected by " + ", ".join(sel)
    return f"CONFIG_{sym.name} is {sym.str_value} by default and has no usable prompt"


def never_true(cond: Any) -> bool:
    """A condition made only of constants that is false (`if "$(ARCH)" = "x86"` on ARCH=i386)."""
    import kconfiglib as kl  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    return kl.expr_value(cond) == 0 and all(s.is_constant for s in kl.expr_items(cond))
