"""Find the extra assignments that make a requested Kconfig value assignable.

Why a search and not just ``set_value``: kconfiglib's ``Symbol.set_value``
only checks the form of a value and returns True even when the value cannot
stick (dependencies unmet, no prompt, selected by something else).  The solver
walks what decides a symbol's value in the kernel's kconfig semantics
(Documentation/kbuild/kconfig-language.rst):

* ``depends on`` / prompt conditions (``sym.direct_dep``, ``node.prompt[1]``),
  split into AND terms; an OR term is an alternative;
* choices: a member is chosen by setting it to y (e.g. HIGHMEM4G in the
  "High Memory Support" choice);
* reverse dependencies (``select``) that force a value, which are turned off by
  turning off the selector;
* ``default ... if COND`` for symbols without a prompt.

* ``default EXPR`` / ``def_bool EXPR`` of a symbol without a prompt, made
  true through what EXPR is made of (ARCH_SUPPORTS_CRASH_DUMP on 6.12).

Every tentative change goes through a journal so alternatives can be tried and
rolled back; among working alternatives the one with the fewest extra
assignments wins; ties go to the one that turns fewer options off, then the
one that touches the fewest other symbols, then the option that comes first
in the menu (:mod:`kcheck.kconfig.search`).
"""

from __future__ import annotations

from typing import Any

from kcheck.kconfig.explain import (
    Failure,
    Why,
    dep_text,
    forced_text,
    term_str,
)
from kcheck.kconfig.search import MAX_DEPTH, Search


class Solver(Search):
    """What decides a symbol's value, walked backwards from the value wanted."""

    def make_true(self, expr: Any, need: int, why: Why, depth: int) -> None:
        kl = self.kl
        if kl.expr_value(expr) >= need:
            return
        if depth > MAX_DEPTH:
            raise Failure(f"CONFIG_{why.requester} needs {why.need}: dependency chain too deep")
        if expr.__class__ is not tuple:
            if expr.__class__ is kl.Choice:
                raise Failure(f"CONFIG_{why.requester} needs the choice '{expr.name}'")
            if self.is_fixed(expr):
                raise Failure(f"CONFIG_{why.requester} needs {why.need}, which {self.fixed_text(expr)}")
            value = "m" if need == 1 and expr.orig_type is kl.TRISTATE else "y"
            self.want(expr, value, self._sub(why, expr), depth + 1)
            return
        op = expr[0]
        if op is kl.AND:
            for term in kl.split_expr(expr, kl.AND):
                self.make_true(term, need, self._sub(why, term), depth + 1)
        elif op is kl.OR:
            terms = kl.split_expr(expr, kl.OR)
            alts = [
                (self.order(t), (lambda t=t: self.make_true(t, need, self._sub(why, t), depth + 1)))
                for t in terms
            ]
            self.cheapest(alts, f"CONFIG_{why.requester} needs {why.need}")
        elif op is kl.NOT:
            self.make_false(expr[1], why, depth + 1)
        else:
            self.relation(expr, True, why, depth)
        if kl.expr_value(expr) < need:
            raise Failure(f"CONFIG_{why.requester} needs {why.need}, which stays {kl.TRI_TO_STR[kl.expr_value(expr)]}")

    def make_false(self, expr: Any, why: Why, depth: int) -> None:
        kl = self.kl
        if kl.expr_value(expr) == 0:
            return
        if depth > MAX_DEPTH:
            raise Failure(f"CONFIG_{why.requester} needs {why.need}: dependency chain too deep")
        if expr.__class__ is not tuple:
            if self.is_fixed(expr):
                raise Failure(f"CONFIG_{why.requester} needs {why.need}, but {self.fixed_text(expr, named=True)}")
            self.want(expr, "n", why if why.locked else Why(why.requester, f"!CONFIG_{expr.name}"), depth + 1)
            return
        op = expr[0]
        if op is kl.OR:
            for term in kl.split_expr(expr, kl.OR):
                self.make_false(term, why, depth + 1)
        elif op is kl.AND:
            terms = [t for t in kl.split_expr(expr, kl.AND) if kl.expr_value(t)]
            alts = [(self.order(t), (lambda t=t: self.make_false(t, why, depth + 1))) for t in terms]
            self.cheapest(alts, f"CONFIG_{why.requester} needs {why.need}")
        elif op is kl.NOT:
            self.make_true(expr[1], 2, why, depth + 1)
        else:
            self.relation(expr, False, why, depth)
        if kl.expr_value(expr) != 0:
            raise Failure(f"CONFIG_{why.requester} needs {why.need}, which stays {kl.TRI_TO_STR[kl.expr_value(expr)]}")

    def relation(self, expr: Any, truth: bool, why: Why, depth: int) -> None:
        """`A = y`, `A != n` and friends on a bool/tristate symbol; other relations are reported."""
        kl = self.kl
        op, a, b = expr
        if a.is_constant and not b.is_constant:
            a, b = b, a
        if (
            op in (kl.EQUAL, kl.UNEQUAL)
            and not a.is_constant
            and a.orig_type in (kl.BOOL, kl.TRISTATE)
            and b.is_constant
            and b.name in ("n", "m", "y")
        ):
            equal = (op is kl.EQUAL) == truth
            if equal:
                self.want(a, b.name, why, depth + 1)
            else:
                self.want(a, "n" if b.name != "n" else "y", why, depth + 1)
            return
        raise Failure(f"CONFIG_{why.requester} needs {why.need}, which kcheck cannot arrange ({term_str(expr)})")

    def _sub(self, why: Why, term: Any) -> Why:
        return why if why.locked else Why(why.requester, term_str(term))

    def want(self, sym: Any, value: str, why: Why | None, depth: int = 0) -> None:
        """Make ``sym`` take ``value`` (a .config value, no quotes), or raise Failure."""
        kl = self.kl
        name = sym.name
        if name in self.pinned and self.pinned[name] != value and why is not None:
            owner = "requested" if self.pin_owner.get(name) == "requested" else "needed elsewhere"
            raise Failure(
                f"CONFIG_{why.requester} needs {why.need}, which conflicts with "
                f"CONFIG_{name}={self.pinned[name]} ({owner})"
            )
        if id(sym) in self._active:
            raise Failure(f"CONFIG_{name}: circular dependency")
        self._active.add(id(sym))
        try:
            if sym.orig_type in (kl.BOOL, kl.TRISTATE):
                self._want_tristate(sym, value, why, depth)
            else:
                self._want_value(sym, value, why, depth)
        finally:
            self._active.discard(id(sym))

    def _reason(self, sym: Any, value: str, why: Why | None) -> str | None:
        if why is None:
            return None
        if sym.choice is not None and value == "y":
            prompt = next((n.prompt[0] for n in sym.choice.nodes if n.prompt), sym.choice.name or "?")
            return f"CONFIG_{why.requester} needs {why.need} (choice '{prompt}': CONFIG_{sym.name}=y)"
        return f"CONFIG_{why.requester} needs {why.need}; {self.now(sym)}"

    def _visible_enough(self, sym: Any, tri: int, why: Why, depth: int) -> None:
        """Meet the prompt conditions (which include the node's `depends on`)."""
        kl = self.kl
        me = Why(sym.name, "")
        prompts = [n for n in sym.nodes if n.prompt]
        if sym.choice is not None:
            choice = sym.choice
            # Linux 6.11+: a choice with a hidden prompt still takes a member (choice_rules).
            conds = ([choice.direct_dep] if getattr(self.k, "choice_rules_611", False)
                     else [n.prompt[1] for n in choice.nodes if n.prompt])
            for cond in conds:
                if kl.expr_value(cond) < tri:
                    self.make_true(cond, tri, Why(sym.name, term_str(cond)), depth + 1)
        alts = []
        for node in prompts:
            cond = node.prompt[1]
            alts.append((0, (lambda cond=cond: self._meet_terms(cond, tri, me, depth))))
        if not alts:
            return
        if len(alts) == 1:
            alts[0][1]()
        else:
            self.cheapest(alts, f"CONFIG_{sym.name} has no visible prompt")

    def _meet_terms(self, cond: Any, tri: int, me: Why, depth: int) -> None:
        kl = self.kl
        for term in kl.split_expr(cond, kl.AND):
            if kl.expr_value(term) < tri:
                self.make_true(term, tri, Why(me.requester, term_str(term)), depth + 1)

    def _want_tristate(self, sym: Any, value: str, why: Why | None, depth: int) -> None:
        kl = self.kl
        if value not in ("n", "m", "y") or (value == "m" and sym.orig_type is kl.BOOL):
            raise Failure(f"CONFIG_{sym.name} is a {kl.TYPE_TO_STR[sym.orig_type]}; '{value}' is not a value for it")
        tri = kl.STR_TO_TRI[value]
        if sym.tri_value == tri and sym.user_value == tri:
            return
        if tri == 1 and self.k.modules.tri_value < 2:
            self.make_true(self.k.modules, 2, Why(sym.name, f"CONFIG_{self.k.modules.name}"), depth + 1)
        if tri in sym.assignable:
            self.assign(sym, value, self._reason(sym, value, why))
            return
        if tri == 0:
            self._want_off(sym, why, depth)
            return
        if sym.choice is not None or any(n.prompt for n in sym.nodes):
            self._visible_enough(sym, tri, why or Why(sym.name, ""), depth)
            if tri in sym.assignable:
                self.assign(sym, value, self._reason(sym, value, why))
                return
            if sym.tri_value > tri:
                raise Failure(forced_text(sym))
            raise Failure(f"CONFIG_{sym.name} cannot be set to {value} ({dep_text(sym)})")
        self._want_promptless(sym, tri, why, depth)

    def _want_promptless(self, sym: Any, tri: int, why: Why | None, depth: int) -> None:
        """A symbol without a prompt takes its value from `depends on` + defaults, selects and implies.

        A default may be an expression (`def_bool X86_64 || (X86_32 && HIGHMEM)`,
        `def_bool PM_SLEEP_SMP`): it is made true by setting what it is made of.
        Each alternative is checked by reading the symbol back, since an earlier
        `default` whose condition holds hides the later ones.
        """
        kl = self.kl
        me = self._promptless_why(sym, why)
        if kl.expr_value(sym.direct_dep) < tri:
            self.make_true(sym.direct_dep, tri, me, depth + 1)
        if sym.tri_value >= tri:
            return
        alts = []
        for dval, cond in sym.defaults:
            if dval.__class__ is not tuple and dval.is_constant and kl.expr_value(dval) < tri:
                continue
            alts.append((self.order(cond) if kl.expr_value(dval) >= tri else self.order(dval),
                         (lambda d=dval, c=cond: self._reach(sym, tri, (c, d), me, depth))))
        for dep in (sym.rev_dep, sym.weak_rev_dep):
            for term in kl.split_expr(dep, kl.OR):
                if term is not self.k.n:
                    alts.append((self.order(term), (lambda t=term: self._reach(sym, tri, (t,), me, depth))))
        if not alts:
            raise Failure(f"CONFIG_{sym.name} has no prompt and nothing turns it on")
        self.cheapest(alts, f"CONFIG_{why.requester} needs {why.need}" if why else f"CONFIG_{sym.name} has no prompt")
        if sym.tri_value < tri:
            raise Failure(f"CONFIG_{sym.name} has no prompt and stays {sym.str_value}")

    def _promptless_why(self, sym: Any, why: Why | None) -> Why:
        """The need, in words, for a symbol set only through what it is made of."""
        if why is not None and why.locked:
            return why
        made_of = [term_str(d) for d, _ in self.defaults_that_matter(sym)]
        need = f"CONFIG_{sym.name}"
        if len(made_of) == 1 and made_of[0] not in ("y", "m", "n"):
            need = f"CONFIG_{sym.name} = {made_of[0]}"
        return Why(why.requester if why else sym.name, need, True)

    def defaults_that_matter(self, sym: Any) -> list[tuple[Any, Any]]:
        """`default` entries that can give a value (a constant n never does)."""
        kl = self.kl
        return [(d, c) for d, c in sym.defaults
                if d.__class__ is tuple or not d.is_constant or kl.expr_value(d) > 0]

    def _reach(self, sym: Any, tri: int, exprs: tuple[Any, ...], me: Why, depth: int) -> None:
        """Make every expression of ``exprs`` true, then check that ``sym`` really followed."""
        for expr in exprs:
            self.make_true(expr, tri, me, depth + 1)
        if sym.tri_value < tri:
            raise Failure(f"CONFIG_{sym.name} stays {sym.str_value} ({forced_text(sym)})")

    def _want_off(self, sym: Any, why: Why | None, depth: int) -> None:
        """Turn a symbol off: pick another choice member, stop its selectors, or break its deps."""
        kl = self.kl
        me = why or Why(sym.name, f"!CONFIG_{sym.name}")
        if sym.choice is not None:
            if why is None:
                me = Why(f"{sym.name}=n", "another member of its choice", True)
            others = [s for s in sym.choice.syms if s is not sym]
            alts = [(self.order(s), (lambda s=s: self.want(s, "y", me, depth + 1))) for s in others]
            self.cheapest(alts, f"CONFIG_{sym.name} is the selected member of its choice")
            return
        if kl.expr_value(sym.rev_dep):
            for term in kl.split_expr(sym.rev_dep, kl.OR):
                if kl.expr_value(term):
                    self.make_false(term, Why(sym.name, f"!({term_str(term)}) (it selects CONFIG_{sym.name})"), depth + 1)
        if 0 in sym.assignable:
            self.assign(sym, "n", self._reason(sym, "n", why))
            return
        if sym.tri_value == 0:
            return
        if any(n.prompt for n in sym.nodes):
            mark = self.checkpoint()
            try:
                self._visible_enough(sym, 2, me, depth)
                if 0 in sym.assignable:
                    self.assign(sym, "n", self._reason(sym, "n", why))
                    return
            except Failure:
                pass
            self.rollback(mark)
        self.make_false(sym.direct_dep, me, depth + 1)
        if sym.tri_value != 0:
            raise Failure(f"CONFIG_{sym.name} stays {sym.str_value} ({forced_text(sym)})")

    def _want_value(self, sym: Any, value: str, why: Why | None, depth: int) -> None:
        kl = self.kl
        if sym.orig_type is kl.UNKNOWN:
            raise Failure(f"CONFIG_{sym.name} has no type in this tree")
        if sym.visibility == 0:
            self._visible_enough(sym, 2, why or Why(sym.name, ""), depth)
        if sym.visibility == 0:
            raise Failure(f"CONFIG_{sym.name} has no visible prompt ({dep_text(sym)})")
        if sym.str_value == value and sym.user_value == value:
            return
        mark = self.checkpoint()
        self.assign(sym, value, self._reason(sym, value, why))
        if sym.user_value != value:
            self.rollback(mark)
            raise Failure(f"'{value}' is not a valid {kl.TYPE_TO_STR[sym.orig_type]} value for CONFIG_{sym.name}")
        if sym.str_value != value:
            self.rollback(mark)
            raise Failure(f"CONFIG_{sym.name}={value} is outside its allowed range (it becomes {sym.str_value})")
