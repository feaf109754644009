"""``kcheck fix``: from a report to fragments, corrected commands and a summary.

Files written to the output directory (atomically, never over an input):
``system.config`` / ``capture.config`` (merge_config.sh fragments, each line
commented with the rules it satisfies), ``cmdline`` and ``kexec`` (the
corrected boot line and kexec command) and ``summary.txt``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from kcheck.domain.errors import InputError
from kcheck.facts.setup import Kernel, Setup
from kcheck.fixers.commands import fix_cmdline, fix_kexec
from kcheck.fixers.kconfig_fix import KernelFragment, plain_fragment, resolved_fragment
from kcheck.fixers.plan import FixPlan, Manual, Requested, build_plan, merge_plan
from kcheck.domain.arch import FAMILIES, kdump_possible
from kcheck.domain.cmdline import parse_cmdline
from kcheck.domain.kexec import canonical_option, parse_kexec
from kcheck.domain.findings import ROLES, Report, Severity
from kcheck.app.output import refuse_inputs, write_atomic
from kcheck.domain.records import field, record, replace


@record(frozen=False)
class FixResult:
    """What ``kcheck fix`` produced, for the summary and the tests."""

    plan: FixPlan
    fragments: list[KernelFragment] = field(default_factory=list)
    cmdline: str | None = None
    kexec: str | None = None
    files: dict[str, str] = field(default_factory=dict)   # name -> content
    kernel_src: str | None = None
    unmet: list[Manual] = field(default_factory=list)      # findings the fixed set-up still has
    met_otherwise: list[Manual] = field(default_factory=list)  # requests not written; their rule is met anyway
    impossible: list[str] = field(default_factory=list)    # kernels that cannot take dumps at all, and why

    @property
    def complete(self) -> bool:
        """Everything was fixed: nothing for a human to do."""
        return not (self.plan.manual or self.unmet or self.impossible
                    or any(f.kbuild_disagrees for f in self.fragments))


MAX_ROUNDS = 4
#: kexec options that need a system-kernel config value: the option is only
#: written if that value is (or can be made) true.
OPTION_NEEDS = {"kexec-file-syscall": ("KEXEC_FILE", "y", FAMILIES["kexec_file"])}


def make_fixes(setup: Setup, evaluate: Callable[[Setup], Report], *, kernel_src: str | None,
               verify_with_kbuild: bool, config_paths: dict[str, str | None]) -> FixResult:
    """Fix, re-check the fixed set-up, and repeat until nothing new is asked.

    Some rules only apply once another fix is in (the kexec options of a
    panic kernel appear after ``-l`` became ``-p``), and a fix for one rule may
    break another (one kernel asked for two load addresses): re-checking finds
    both.  With a Kconfig tree every round re-checks the *resolved* configs,
    so a need met another way (KEXEC_FILE=y for a rule that asked for KEXEC)
    is not reported, and what is still unmet at the end is.
    """
    plan = FixPlan()
    result = FixResult(plan, kernel_src=kernel_src)
    result.impossible = _no_kdump(setup)
    if result.impossible:
        result.files["summary.txt"] = render_summary(result)
        return result
    fragments: dict[str, KernelFragment] = {}
    fixed = setup
    for _ in range(MAX_ROUNDS):
        new = build_plan(evaluate(fixed), same_kernel=setup.same_kernel)
        if not merge_plan(plan, new):
            break
        _option_needs(plan, setup)
        fragments = _fragments(setup, plan, kernel_src, config_paths, verify=False)
        fixed = apply_plan(setup, plan, fragments)
    if verify_with_kbuild and kernel_src is not None:
        fragments = _fragments(setup, plan, kernel_src, config_paths, verify=True)
        fixed = apply_plan(setup, plan, fragments)
    fixed = _drop_infeasible_options(setup, plan, fragments, evaluate(fixed))
    _recheck(result, plan, fragments, evaluate(fixed))
    result.fragments = list(fragments.values())
    for kernel, fragment in fragments.items():
        if fragment.lines:
            result.files[f"{kernel}.config"] = render_fragment(fragment, kernel_src)
    if setup.cmdline is not None and fixed.cmdline is not None and fixed.cmdline.text != setup.cmdline.text:
        result.cmdline = fixed.cmdline.text
        result.files["cmdline"] = result.cmdline + "\n"
    if setup.kexec is not None and fixed.kexec is not None and fixed.kexec.text != setup.kexec.text:
        result.kexec = fixed.kexec.text
        result.files["kexec"] = result.kexec + "\n"
    result.files["summary.txt"] = render_summary(result)
    return result


def _no_kdump(setup: Setup) -> list[str]:
    """Kernels on an architecture that has no kdump at all: nothing to write, say so."""
    out = []
    for kernel in ROLES[:1] if setup.same_kernel else ROLES:
        arch = getattr(setup, kernel).arch
        if arch is not None and not kdump_possible(arch):
            out.append(f"{kernel} kernel: {arch}: this architecture cannot take kdump dumps (its Kconfig has "
                       "no ARCH_SUPPORTS_CRASH_DUMP, so CONFIG_CRASH_DUMP cannot be set)")
    return out


def _fragments(setup: Setup, plan: FixPlan, kernel_src: str | None, config_paths: dict[str, str | None],
               *, verify: bool) -> dict[str, KernelFragment]:
    out = {}
    for kernel, wanted in plan.config.items():
        if not wanted:
            continue
        if kernel_src is None:
            out[kernel] = plain_fragment(kernel, wanted, getattr(setup, kernel).arch)
        else:
            out[kernel] = resolved_fragment(kernel, wanted, kernel_src=kernel_src,
                                            arch=getattr(setup, kernel).arch,
                                            base_config=config_paths.get(kernel), verify_with_kbuild=verify)
    return out


def _option_needs(plan: FixPlan, setup: Setup) -> None:
    """A kexec option a fix adds brings the config value it needs into the system kernel's plan."""
    config = setup.system.config
    for option, rule in plan.kexec_add:
        need = OPTION_NEEDS.get(canonical_option(option.partition("=")[0]) or "")
        if need is None or config is None or config.get(need[0]) == need[1]:
            continue
        symbol, value, _arches = need
        wanted = plan.config["system"]
        if symbol not in wanted:
            wanted[symbol] = Requested(symbol, value, (rule,))


def _drop_infeasible_options(setup: Setup, plan: FixPlan, fragments: dict[str, KernelFragment],
                             report: Report) -> Setup:
    """Take back a kexec option whose config need cannot be met (``-s`` on i386: no KEXEC_FILE)."""
    fixed_config = _config_values(setup.system, plan.config["system"], fragments.get("system"))
    symbols = fragments["system"].symbols if "system" in fragments and fragments["system"].resolved else None
    for option, rule in list(plan.kexec_add):
        need = OPTION_NEEDS.get(canonical_option(option.partition("=")[0]) or "")
        if need is None or setup.system.config is None:
            continue
        symbol, value, arches = need
        arch = setup.system.arch
        if fixed_config.get(symbol) == value and (symbols is not None or arch is None or arch in arches):
            continue
        why = _why_not(fragments.get("system"), symbol, value, arch)
        plan.kexec_add.remove((option, rule))
        plan.config["system"].pop(symbol, None)
        plan.manual.append(Manual(rule, f"kexec {option}", f"not applied: it needs CONFIG_{symbol}={value} in the "
                                                         f"system kernel, and {why}"))
    return apply_plan(setup, plan, fragments)


def _why_not(fragment: KernelFragment | None, symbol: str, value: str, arch: str | None) -> str:
    if fragment is not None and f"CONFIG_{symbol}" in fragment.unresolved:
        return fragment.unresolved[f"CONFIG_{symbol}"]
    if fragment is not None and fragment.resolved and symbol not in fragment.symbols:
        return f"CONFIG_{symbol} does not exist in this tree for {arch}"
    return f"CONFIG_{symbol} does not exist on {arch}"


def _recheck(result: FixResult, plan: FixPlan, fragments: dict[str, KernelFragment], report: Report) -> None:
    """What the fixed set-up still lacks, and which requests turned out not to be needed."""
    remaining = {(f.rule, f.concerns): f for f in report.findings if not f.waived and f.severity >= Severity.WARNING}
    still = {rule for rule, _ in remaining}
    for kernel, fragment in fragments.items():
        for symbol, why in list(fragment.unresolved.items()):
            request = plan.config[kernel].get(symbol.removeprefix("CONFIG_"))
            if request is not None and not (set(request.rules) & still):
                result.met_otherwise.append(Manual(", ".join(request.rules), f"{symbol}={request.value}",
                                                   f"not written ({why}); the rule is met by the resolved config"))
                del fragment.unresolved[symbol]
    manual_rules = {m.rule for m in plan.manual}
    # Without a tree the re-check sees only the requested lines, not what
    # olddefconfig derives from them (HIGHMEM from HIGHMEM4G): a rule whose
    # lines were all written is taken as fixed, as the fragment header says.
    unverified = {rule for kernel, fragment in fragments.items() if not fragment.resolved
                  for symbol, request in plan.config[kernel].items()
                  if f"CONFIG_{symbol}" not in fragment.unresolved for rule in request.rules}
    for (rule, kernel), finding in remaining.items():
        if rule in manual_rules or rule in unverified:
            continue
        reasons = [why for fragment in fragments.values() for symbol, why in fragment.unresolved.items()
                   if any(rule in r.rules for s, r in plan.config[fragment.kernel].items() if f"CONFIG_{s}" == symbol)]
        result.unmet.append(Manual(rule, f"{kernel} kernel: {finding.message}",
                                   "; ".join(reasons) if reasons else "still found after the fixes"))


def _config_values(kernel: Kernel, wanted: dict[str, Requested], fragment: KernelFragment | None) -> dict[str, str]:
    """A kernel's config after the fixes: the resolved .config, or the base with the requests laid over."""
    if fragment is not None and fragment.values is not None:
        return dict(fragment.values)
    values = dict(kernel.config.values) if kernel.config is not None else {}
    dropped = fragment.unresolved if fragment is not None else {}
    values.update({symbol: request.value for symbol, request in wanted.items()
                   if f"CONFIG_{symbol}" not in dropped})
    return values


def apply_plan(setup: Setup, plan: FixPlan, fragments: dict[str, KernelFragment] | None = None) -> Setup:
    """The set-up as it would be with every fix of ``plan`` applied (in memory)."""
    fragments = fragments or {}

    def kernel(k: Kernel, role: str) -> Kernel:
        wanted = plan.config[role]
        if k.config is None or not wanted:
            return k
        values = _config_values(k, wanted, fragments.get(role))
        return replace(k, config=replace(k.config, values=values))

    system = kernel(setup.system, "system")
    capture = system if setup.same_kernel else kernel(setup.capture, "capture")
    cmdline = setup.cmdline
    if cmdline is not None and (plan.cmdline_add or plan.cmdline_remove):
        cmdline = parse_cmdline(fix_cmdline(cmdline.text, [n for n, _ in plan.cmdline_remove],
                                            [t for t, _ in plan.cmdline_add]))
    kexec = setup.kexec
    if kexec is not None and (plan.kexec_add or plan.kexec_remove or plan.append_add or plan.append_remove):
        kexec = parse_kexec(fix_kexec(kexec.text, [o for o, _ in plan.kexec_remove],
                                      [o for o, _ in plan.kexec_add], [p for p, _ in plan.append_remove],
                                      [p for p, _ in plan.append_add]))
    return replace(setup, system=system, capture=capture, cmdline=cmdline, kexec=kexec)


def render_fragment(fragment: KernelFragment, kernel_src: str | None) -> str:
    """A fragment merge_config.sh reads; comments never start with ``# CONFIG_``."""
    head = [f"# kcheck fix: {fragment.kernel} kernel fragment for scripts/kconfig/merge_config.sh"]
    if fragment.resolved:
        head.append(f"# kcheck: dependencies resolved with the Kconfig tree in {kernel_src}")
    else:
        head.append("# kcheck: dependencies NOT resolved (no --kernel-src); check the merged .config")
    body = []
    for line, comment in fragment.lines:
        body.append(f"# kcheck: {comment}")
        body.append(line)
    return "\n".join(head + body) + "\n"


def render_summary(result: FixResult) -> str:
    lines: list[str] = [f"NOT POSSIBLE: {why}" for why in result.impossible]
    for fragment in result.fragments:
        state = "resolved against the Kconfig tree" if fragment.resolved else "dependencies not resolved"
        if fragment.verified:
            state += ", verified with the kernel's own make olddefconfig (whole .config compared)"
        lines.append(f"{fragment.kernel}.config: {len(fragment.lines)} lines ({state})")
        for line, comment in fragment.lines:
            lines.append(f"  {line:<45} {comment}")
        for symbol, why in fragment.unresolved.items():
            lines.append(f"  NOT WRITTEN {symbol}: {why}")
        for symbol, (ours, kernel) in fragment.kbuild_disagrees.items():
            lines.append(f"  KBUILD DISAGREES {symbol}: kconfiglib gives {ours or 'n'}, "
                         f"the kernel's make olddefconfig gives {kernel or 'n'}")
        if not fragment.verified:
            lines.extend(f"  note: {note}" for note in fragment.notes)
    if result.cmdline is not None:
        lines.append(f"boot command line: {result.cmdline}")
    if result.kexec is not None:
        lines.append(f"kexec command: {result.kexec}")
    if result.met_otherwise:
        lines.append("not needed (the rule is met by the resolved config):")
        lines.extend(f"  {m.rule}: {m.what}: {m.reason}" for m in result.met_otherwise)
    if result.unmet:
        lines.append("NOT FIXED (the fixed set-up still fails these rules):")
        lines.extend(f"  {m.rule}: {m.what}: {m.reason}" for m in result.unmet)
    manual = result.plan.manual
    if manual:
        lines.append("not fixed automatically:")
        lines.extend(f"  {m.rule}: {m.what}: {m.reason}" for m in manual)
    if not lines:
        lines.append("nothing to fix")
    return "\n".join(lines) + "\n"


def summary_dict(result: FixResult) -> dict[str, Any]:
    return {
        "complete": result.complete,
        "impossible": list(result.impossible),
        "fragments": [{
            "kernel": f.kernel,
            "resolved": f.resolved,
            "verified_with_kbuild": f.verified,
            "lines": [{"line": line, "reason": comment} for line, comment in f.lines],
            "unresolved": f.unresolved,
            "kbuild_disagrees": {k: list(v) for k, v in f.kbuild_disagrees.items()},
            "notes": [] if f.verified else list(f.notes),
        } for f in result.fragments],
        "cmdline": result.cmdline,
        "kexec": result.kexec,
        "unmet": [_manual(m) for m in result.unmet],
        "met_otherwise": [_manual(m) for m in result.met_otherwise],
        "manual": [_manual(m) for m in result.plan.manual],
        "files": sorted(result.files),
    }


def _manual(item: Manual) -> dict[str, str]:
    return {"rule": item.rule, "what": item.what, "reason": item.reason}


def write_outputs(result: FixResult, output_dir: str, inputs: list[str | None]) -> list[str]:
    """Write every file of ``result`` into ``output_dir``; refuse to touch inputs.

    Every destination is checked before the first is written, so a refusal
    leaves no half set of fragments behind.
    """
    paths = [os.path.join(output_dir, name) for name in result.files]
    for path in paths:
        refuse_inputs(path, inputs)
    try:
        os.makedirs(output_dir, exist_ok=True)
    except OSError as exc:
        raise InputError(output_dir, f"cannot create the output directory: {exc.strerror or exc}") from None
    written = []
    for name, content in result.files.items():
        path = os.path.join(output_dir, name)
        write_atomic(path, content, inputs=inputs)
        written.append(path)
    return written


def render_json(result: FixResult) -> str:
    return json.dumps(summary_dict(result), indent=2) + "\n"
