"""Make each kernel's requested values survive olddefconfig, with a real Kconfig tree.

Without a tree, a fragment is just the rules' fix data: a line whose
dependencies are unmet is silently dropped by ``make olddefconfig``.  With
``--kernel-src`` the tree's Kconfig is loaded (kcheck.kconfig) and every
request is resolved into the extra assignments that make it stick, each with
its reason, and read back; ``--verify-with-kbuild`` runs the kernel's own
``make olddefconfig`` as the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kcheck.domain.errors import InputError
from kcheck.fixers.plan import Requested


@dataclass(frozen=True)
class KernelFragment:
    """The fragment for one kernel and what is known about it."""

    kernel: str
    lines: tuple[tuple[str, str], ...]          # (.config line, comment)
    resolved: bool                               # dependencies resolved with a Kconfig tree
    unresolved: dict[str, str] = field(default_factory=dict)   # CONFIG_X -> why it does not stick
    kbuild_disagrees: dict[str, tuple[str, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def plain_fragment(kernel: str, wanted: dict[str, Requested]) -> KernelFragment:
    """The rules' fix data as fragment lines, dependencies not resolved."""
    lines = tuple((_line(r.symbol, r.value), f"{', '.join(r.rules)}") for r in wanted.values())
    return KernelFragment(kernel, lines, resolved=False)


def _line(symbol: str, value: str) -> str:
    return f"# CONFIG_{symbol} is not set" if value == "n" else f"CONFIG_{symbol}={value}"


def resolved_fragment(kernel: str, wanted: dict[str, Requested], *, kernel_src: str, arch: str | None,
                      base_config: str | None, verify_with_kbuild: bool) -> KernelFragment:
    """Resolve ``wanted`` against the tree; explain and read back every value."""
    from kcheck.kconfig.resolve import resolve
    from kcheck.kconfig.tree import load_kconfig

    if arch is None:
        raise InputError(f"--{kernel}-config", "architecture unknown; give --arch to load the Kconfig tree")
    kconf = load_kconfig(kernel_src, arch)
    resolution = resolve(kconf, base_config, {r.symbol: r.value for r in wanted.values()})
    lines: list[tuple[str, str]] = []
    for line, name in zip(resolution.lines, resolution.assignments):
        if name in wanted:
            comment = ", ".join(wanted[name].rules)
        else:
            comment = resolution.reasons.get(name, "needed by the lines above")
        lines.append((line, comment))
    unresolved = {f"CONFIG_{name}" if not name.startswith("CONFIG_") else name: why
                  for name, why in resolution.unresolved.items()}
    disagree: dict[str, tuple[str, str]] = {}
    if verify_with_kbuild:
        from kcheck.kconfig.kbuild import compare
        from kcheck.kconfig.kbuild import verify_with_kbuild as run_kbuild

        kbuild = run_kbuild(kernel_src, arch, base_config, resolution.assignments, lines=resolution.lines)
        disagree = {f"CONFIG_{k}": v for k, v in
                    compare(resolution.values, kbuild, names=list(resolution.assignments)).items()}
    # kconfiglib's own select warnings are about the tree, not the fix; keep
    # only its caveat that newer trees' choice rules differ (see kcheck.kconfig.compat).
    notes = tuple(w for w in kconf.warnings if "verify-with-kbuild" in w)
    return KernelFragment(kernel, tuple(lines), resolved=True, unresolved=unresolved,
                          kbuild_disagrees=disagree, notes=notes)
