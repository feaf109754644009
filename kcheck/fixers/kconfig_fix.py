"""Make each kernel's requested values survive olddefconfig, with a real Kconfig tree.

Without a tree, a fragment is just the rules' fix data: a line whose
dependencies are unmet is silently dropped by ``make olddefconfig``.  With
``--kernel-src`` the tree's Kconfig is loaded (kcheck.kconfig) and every
request is resolved into the extra assignments that make it stick, each with
its reason, and read back; only lines that stick are written.
``--verify-with-kbuild`` runs the kernel's own ``make olddefconfig`` as the
ground truth: it settles what kconfiglib cannot (a line the kernel drops is
taken out), and the whole resolved config is compared with the kernel's.
"""

from __future__ import annotations

from typing import Any

from kcheck.domain.arch import ARCH_LIMITED
from kcheck.domain.errors import InputError
from kcheck.domain.records import field, record
from kcheck.fixers.plan import Requested


@record
class KernelFragment:
    """The fragment for one kernel and what is known about it."""

    kernel: str
    lines: tuple[tuple[str, str], ...]          # (.config line, comment); every one sticks when resolved
    resolved: bool                               # dependencies resolved with a Kconfig tree
    unresolved: dict[str, str] = field(default_factory=dict)   # CONFIG_X -> why it does not stick
    kbuild_disagrees: dict[str, tuple[str, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    values: dict[str, str] | None = None         # the whole resolved .config (None: not resolved)
    verified: bool = False                       # values are what the kernel's own olddefconfig wrote
    symbols: frozenset[str] = frozenset()        # symbols the tree defines for this arch (resolved only)


def plain_fragment(kernel: str, wanted: dict[str, Requested], arch: str | None = None) -> KernelFragment:
    """The rules' fix data as fragment lines, dependencies not resolved.

    A symbol known not to exist on the architecture (KEXEC_FILE on i386) is
    not written: without a tree that is all kcheck can know.
    """
    lines = []
    unresolved = {}
    for r in wanted.values():
        arches = ARCH_LIMITED.get(r.symbol)
        if arch is not None and arches is not None and arch not in arches and r.value != "n":
            unresolved[f"CONFIG_{r.symbol}"] = f"CONFIG_{r.symbol} does not exist on {arch}"
            continue
        lines.append((_line(r.symbol, r.value), f"{', '.join(r.rules)}"))
    return KernelFragment(kernel, tuple(lines), resolved=False, unresolved=unresolved)


def _line(symbol: str, value: str) -> str:
    return f"# CONFIG_{symbol} is not set" if value == "n" else f"CONFIG_{symbol}={value}"


_TREES: dict[tuple[str, str], Any] = {}


def kconfig_for(kernel_src: str, arch: str) -> Any:
    """The tree's parsed Kconfig for ``arch``, loaded once per process (the fix loop resolves often)."""
    from kcheck.kconfig.tree import load_kconfig  # lazy: kconfiglib, with --kernel-src only

    key = (kernel_src, arch)
    if key not in _TREES:
        _TREES[key] = load_kconfig(kernel_src, arch)
    return _TREES[key]


def resolved_fragment(kernel: str, wanted: dict[str, Requested], *, kernel_src: str, arch: str | None,
                      base_config: str | None, verify_with_kbuild: bool) -> KernelFragment:
    """Resolve ``wanted`` against the tree; explain and read back every value."""
    from kcheck.kconfig.resolve import resolve  # lazy: kconfiglib, with --kernel-src only

    if arch is None:
        raise InputError(f"--{kernel}-config", "architecture unknown; give --arch to load the Kconfig tree")
    kconf = kconfig_for(kernel_src, arch)
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
    fragment = KernelFragment(kernel, tuple(lines), resolved=True, unresolved=unresolved,
                              notes=tuple(resolution.notes), values=resolution.values,
                              symbols=frozenset(n for n, s in kconf.syms.items() if s.nodes))
    if verify_with_kbuild:
        fragment = settle_with_kbuild(fragment, kernel_src=kernel_src, arch=arch, base_config=base_config)
    return fragment


def settle_with_kbuild(fragment: KernelFragment, *, kernel_src: str, arch: str,
                       base_config: str | None) -> KernelFragment:
    """Let the kernel's own merge_config.sh + ``make olddefconfig`` decide, and compare whole configs.

    A fragment line the kernel drops is taken out (it would be dropped silently
    by whoever merges the file) and reported with what the kernel gives; the
    kernel runs again on what is left.  Every other symbol where kconfiglib and
    the kernel disagree is reported; the kernel's values are the ones the
    re-check of the rules uses.
    """
    from kcheck.kconfig.kbuild import compare, read_fragment_line  # lazy: kconfiglib, with --kernel-src only
    from kcheck.kconfig.kbuild import verify_with_kbuild as run_kbuild  # lazy: kconfiglib, with --kernel-src only

    lines = list(fragment.lines)
    unresolved = dict(fragment.unresolved)
    while True:
        kbuild = run_kbuild(kernel_src, arch, base_config, {}, lines=[line for line, _ in lines])
        kept = []
        for line, comment in lines:
            name, value = read_fragment_line(line)
            got = kbuild.get(name, "n")
            if got == value:
                kept.append((line, comment))
            else:
                shown = got if name in kbuild else "absent from .config"
                unresolved[f"CONFIG_{name}"] = (f"the kernel's own make olddefconfig drops CONFIG_{name}={value} "
                                                f"(it gives {shown}); kconfiglib 14.1.0 kept it")
        if len(kept) == len(lines):
            break
        lines = kept
    disagree = {f"CONFIG_{k}": v for k, v in compare(fragment.values or {}, kbuild).items()}
    return KernelFragment(fragment.kernel, tuple(lines), resolved=True, unresolved=unresolved,
                          kbuild_disagrees=disagree, notes=fragment.notes, values=kbuild, verified=True,
                          symbols=fragment.symbols)
