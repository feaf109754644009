"""Resolve requested Kconfig values into a fragment that sticks, and prove it by reading back.

Why the read-back: ``merge_config.sh`` + ``olddefconfig`` drop a fragment line
whose dependencies are unmet and still exit 0 (kernelci-core#137; Linux 6.12
merge_config.sh only prints "Value requested ... not in final .config").  So
after the search (:mod:`kcheck.kconfig.solver`) the fragment is applied the
way the kernel tools would (:func:`apply_fragment`) and EVERY requested and
added symbol is compared with what comes out; anything that does not stick
lands in ``Resolution.unresolved`` with a reason, never silently dropped.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from kcheck.domain.errors import InputError
from kcheck.kconfig.compat import semantic_caveats
from kcheck.domain.records import field, record
from kcheck.kconfig.explain import Failure, dep_text
from kcheck.kconfig.solver import Solver

MAX_ROUNDS = 4


@record
class Resolution:
    """What ``kcheck fix --kernel-src`` needs to write and explain a fragment."""

    assignments: dict[str, str]  # final fragment: requested then added, name -> value (no quotes)
    reasons: dict[str, str]  # added name -> why it is in the fragment
    unresolved: dict[str, str]  # name -> why its value does not stick
    changed: dict[str, tuple[str, str]]  # other symbols: name -> (base value, new value)
    lines: tuple[str, ...] = ()  # the fragment in .config syntax, same order as assignments
    values: dict[str, str] = field(default_factory=dict)  # every symbol after applying the fragment
    warnings: tuple[str, ...] = ()  # kconfiglib warnings raised while evaluating
    notes: tuple[str, ...] = ()  # where kconfiglib may differ from this tree's own kconfig

    @property
    def ok(self) -> bool:
        return not self.unresolved


def _strip_config(name: str) -> str:
    return name[7:] if name.startswith("CONFIG_") else name


def config_line(kconf: Any, name: str, value: str) -> str:
    """One fragment line in .config syntax (``# CONFIG_X is not set`` for n)."""
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    sym = kconf.syms.get(name)
    if sym is not None and sym.orig_type in (kconfiglib.BOOL, kconfiglib.TRISTATE) and value == "n":
        return f"# CONFIG_{name} is not set"
    if sym is not None and sym.orig_type is kconfiglib.STRING:
        return f'CONFIG_{name}="{kconfiglib.escape(value)}"'
    return f"CONFIG_{name}={value}"


def _load_base(kconf: Any, base_config: str | None) -> None:
    kconf.warnings.clear()
    if base_config is None:
        # An empty config with replace=True, not unset_values(): kconfiglib's
        # unset_values() keeps Symbol._was_set, and a later
        # load_config(replace=False) then trips over it (KeyError in _assigned_twice).
        kconf.load_config(os.devnull, replace=True)
        return
    try:
        kconf.load_config(base_config, replace=True)
    except OSError as e:
        raise InputError(base_config, f"cannot read config: {e.strerror}") from None


def config_values(kconf: Any) -> dict[str, str]:
    """Every symbol olddefconfig would write to .config, name -> value ("n" for "is not set")."""
    out: dict[str, str] = {}
    for sym in kconf.unique_defined_syms:
        if sym.config_string:
            out[sym.name] = sym.str_value
    return out


def apply_fragment(kconf: Any, base_config: str | None, fragment: dict[str, str]) -> dict[str, str]:
    """merge_config.sh + ``make olddefconfig`` semantics in kconfiglib.

    The base config is loaded, the fragment lines are loaded on top of it
    (later assignments override, exactly like merge_config.sh's concatenation),
    and the result is what olddefconfig writes: every symbol with its
    evaluated value.  Symbols absent from the result are not in .config.
    """
    _load_base(kconf, base_config)
    if fragment:
        lines = "\n".join(config_line(kconf, n, v) for n, v in fragment.items()) + "\n"
        fd, tmp = tempfile.mkstemp(prefix="kcheck-fragment-", suffix=".config")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(lines)
            kconf.warn_assign_override = False
            kconf.warn_assign_redun = False
            kconf.load_config(tmp, replace=False)
        finally:
            os.unlink(tmp)
            kconf.warn_assign_override = True
            kconf.warn_assign_redun = True
    return config_values(kconf)


def _normalise(kconf: Any, name: str, value: str) -> str:
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    sym = kconf.syms.get(name)
    if sym is not None and sym.orig_type is kconfiglib.STRING and len(value) >= 2 and value[0] == value[-1] == '"':
        return kconfiglib.unescape(value[1:-1])
    if sym is not None and sym.orig_type in (kconfiglib.INT, kconfiglib.HEX):
        return value.strip()
    return value


def _same(kconf: Any, name: str, want: str, got: str | None) -> bool:
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    sym = kconf.syms[name]
    got = got if got is not None else ("n" if sym.orig_type in (kconfiglib.BOOL, kconfiglib.TRISTATE) else "")
    if sym.orig_type in (kconfiglib.INT, kconfiglib.HEX):
        try:
            base = 16 if sym.orig_type is kconfiglib.HEX else 10
            return int(want, base) == int(got, base)
        except ValueError:
            return want == got
    return want == got


def resolve(kconf: Any, base_config_path: str | None, requested: dict[str, str]) -> Resolution:
    """Find a fragment that gives every requested symbol its value on top of ``base_config_path``.

    ``requested`` maps symbol names (CONFIG_ prefix optional) to .config values
    ("y", "m", "n", a string, an int or hex).  ``kconf`` is left with the
    resolved configuration loaded.
    """
    base_label = os.path.basename(base_config_path) if base_config_path else "the default configuration"
    _load_base(kconf, base_config_path)
    before = config_values(kconf)

    wanted: dict[str, str] = {}
    for raw, value in requested.items():
        name = _strip_config(raw)
        wanted[name] = _normalise(kconf, name, str(value))

    unresolved: dict[str, str] = {}
    defined = {n: v for n, v in wanted.items() if n in kconf.syms and kconf.syms[n].nodes}
    for name in wanted:
        if name not in defined:
            unresolved[name] = f"CONFIG_{name} is not defined in this Kconfig tree (for this architecture)"

    solver = Solver(kconf, base_label, defined)
    failed = _search(kconf, solver, defined)

    # The fragment: what was asked (and exists here), then what the search added.
    fragment: dict[str, str] = dict(defined)
    for name, value in solver.added.items():
        fragment.setdefault(name, value)
    values, dropped = _keep_what_sticks(kconf, base_config_path, fragment, wanted)
    for name, why in dropped.items():
        # The search's reason says why in words; the read-back only that it did not stick.
        # An added line another one superseded (NOHIGHMEM=y, then HIGHMEM64G=y in
        # the same choice) is simply not written: only requests can be unmet.
        if name in wanted:
            unresolved[name] = failed.get(name, why)
    warnings = tuple(kconf.warnings)

    changed = {
        n: (before.get(n, "n"), values.get(n, "n"))
        for n in sorted(set(before) | set(values))
        if n not in fragment and before.get(n, "n") != values.get(n, "n")
    }
    return Resolution(
        assignments=fragment,
        reasons={n: r for n, r in solver.reasons.items() if n in fragment and n not in wanted},
        unresolved=unresolved,
        changed=changed,
        lines=tuple(config_line(kconf, n, v) for n, v in fragment.items()),
        values=values,
        warnings=warnings,
        notes=tuple(semantic_caveats(getattr(kconf, "kcheck_version", (0, 0)))),
    )


def _search(kconf: Any, solver: Solver, defined: dict[str, str]) -> dict[str, str]:
    """Ask the solver for every request, retrying the failed ones while any other succeeds.

    A request can fail only because another one is not in yet (HIGHMEM4G
    before CRASH_DUMP on i386); so every round retries all failures, and the
    search stops when a round changes nothing.  Returns name -> why for the
    requests that still fail (the read-back decides whether they stick anyway).
    """
    failed: dict[str, str] = {}
    for _round in range(MAX_ROUNDS):
        progress = False
        for name, value in defined.items():
            sym = kconf.syms[name]
            if _same(kconf, name, value, sym.str_value) and _user_holds(sym, value):
                failed.pop(name, None)
                continue
            mark = solver.checkpoint()
            try:
                solver.want(sym, value, None)
            except Failure as e:
                solver.rollback(mark)
                failed[name] = str(e)
            else:
                failed.pop(name, None)
                progress = progress or solver.checkpoint() > mark
        if not progress:
            break
    return failed


def _keep_what_sticks(kconf: Any, base_config_path: str | None, fragment: dict[str, str],
                      wanted: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Apply the fragment as merge_config.sh + olddefconfig would; remove every line that does not stick.

    Removing a line can change what the others do (a choice member's ``n``),
    so the fragment is applied again until every remaining line reads back.
    ``fragment`` is edited in place; returns the final values and name -> why
    for each removed line.
    """
    dropped: dict[str, str] = {}
    while True:
        values = apply_fragment(kconf, base_config_path, fragment)
        gone = {}
        for name, value in fragment.items():
            got = values.get(name)
            if not _same(kconf, name, value, got):
                shown = got if got is not None else "absent from .config"
                who = "requested" if name in wanted else "added"
                gone[name] = (
                    f"CONFIG_{name}={value} ({who}) does not stick: olddefconfig gives {shown}"
                    + (f" ({dep_text(kconf.syms[name])})" if kconf.syms[name].visibility == 0 else "")
                )
        if not gone:
            return values, dropped
        for name, why in gone.items():
            del fragment[name]
            dropped[name] = why


def _user_holds(sym: Any, value: str) -> bool:
    """Requested values go into the fragment even when they are already the default."""
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    if sym.orig_type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
        return sym.user_value == kconfiglib.STR_TO_TRI.get(value)
    return sym.user_value == value
