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
from dataclasses import dataclass, field
from typing import Any

from kcheck.domain.errors import InputError
from kcheck.facts.setup import Kernel, Setup
from kcheck.fixers.commands import fix_cmdline, fix_kexec
from kcheck.fixers.kconfig_fix import KernelFragment, plain_fragment, resolved_fragment
from kcheck.fixers.plan import FixPlan, Manual, build_plan, merge_plan
from kcheck.domain.cmdline import parse_cmdline
from kcheck.domain.kexec import parse_kexec
from kcheck.domain.findings import Report
from kcheck.app.output import refuse_inputs, write_atomic
from kcheck.domain.records import replace


@dataclass
class FixResult:
    """What ``kcheck fix`` produced, for the summary and the tests."""

    plan: FixPlan
    fragments: list[KernelFragment] = field(default_factory=list)
    cmdline: str | None = None
    kexec: str | None = None
    files: dict[str, str] = field(default_factory=dict)   # name -> content
    kernel_src: str | None = None


MAX_ROUNDS = 4


def make_fixes(setup: Setup, evaluate: Callable[[Setup], Report], *, kernel_src: str | None,
               verify_with_kbuild: bool, config_paths: dict[str, str | None]) -> FixResult:
    """Fix, re-check the fixed set-up, and repeat until nothing new is asked.

    Some rules only apply once another fix is in (the kexec options of a
    panic kernel appear after ``-l`` became ``-p``), and a fix for one rule may
    break another (one kernel asked for two load addresses): re-checking finds
    both.
    """
    plan = FixPlan()
    fixed = setup
    for _ in range(MAX_ROUNDS):
        new = build_plan(evaluate(fixed), same_kernel=setup.same_kernel)
        if not merge_plan(plan, new):
            break
        fixed = apply_plan(setup, plan)
    result = FixResult(plan, kernel_src=kernel_src)
    for kernel, wanted in plan.config.items():
        if not wanted:
            continue
        if kernel_src is None:
            fragment = plain_fragment(kernel, wanted)
        else:
            fragment = resolved_fragment(kernel, wanted, kernel_src=kernel_src,
                                         arch=getattr(setup, kernel).arch,
                                         base_config=config_paths.get(kernel),
                                         verify_with_kbuild=verify_with_kbuild)
        result.fragments.append(fragment)
        result.files[f"{kernel}.config"] = render_fragment(fragment, kernel_src)
    if setup.cmdline is not None and fixed.cmdline is not None and fixed.cmdline.text != setup.cmdline.text:
        result.cmdline = fixed.cmdline.text
        result.files["cmdline"] = result.cmdline + "\n"
    if setup.kexec is not None and fixed.kexec is not None and fixed.kexec.text != setup.kexec.text:
        result.kexec = fixed.kexec.text
        result.files["kexec"] = result.kexec + "\n"
    result.files["summary.txt"] = render_summary(result)
    return result


def apply_plan(setup: Setup, plan: FixPlan) -> Setup:
    """The set-up as it would be with every fix of ``plan`` applied (in memory)."""
    def kernel(k: Kernel, wanted: dict[str, Any]) -> Kernel:
        if k.config is None or not wanted:
            return k
        values = dict(k.config.values)
        values.update({symbol: request.value for symbol, request in wanted.items()})
        return replace(k, config=replace(k.config, values=values))

    system_wanted = plan.config["system"]
    system = kernel(setup.system, system_wanted)
    capture = system if setup.same_kernel else kernel(setup.capture, plan.config["capture"])
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
    lines: list[str] = []
    for fragment in result.fragments:
        state = "resolved against the Kconfig tree" if fragment.resolved else "dependencies not resolved"
        lines.append(f"{fragment.kernel}.config: {len(fragment.lines)} lines ({state})")
        for line, comment in fragment.lines:
            lines.append(f"  {line:<45} {comment}")
        for symbol, why in fragment.unresolved.items():
            lines.append(f"  NOT FIXED {symbol}: {why}")
        for symbol, (ours, kernel) in fragment.kbuild_disagrees.items():
            lines.append(f"  KBUILD DISAGREES {symbol}: kconfiglib gives {ours or 'n'}, "
                         f"the kernel's make olddefconfig gives {kernel or 'n'}")
        lines.extend(f"  note: {note}" for note in fragment.notes)
    if result.cmdline is not None:
        lines.append(f"boot command line: {result.cmdline}")
    if result.kexec is not None:
        lines.append(f"kexec command: {result.kexec}")
    manual = result.plan.manual
    if manual:
        lines.append("not fixed automatically:")
        lines.extend(f"  {m.rule}: {m.what}: {m.reason}" for m in manual)
    if not lines:
        lines.append("nothing to fix")
    return "\n".join(lines) + "\n"


def summary_dict(result: FixResult) -> dict[str, Any]:
    return {
        "fragments": [{
            "kernel": f.kernel,
            "resolved": f.resolved,
            "lines": [{"line": line, "reason": comment} for line, comment in f.lines],
            "unresolved": f.unresolved,
            "kbuild_disagrees": {k: list(v) for k, v in f.kbuild_disagrees.items()},
            "notes": list(f.notes),
        } for f in result.fragments],
        "cmdline": result.cmdline,
        "kexec": result.kexec,
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
