"""``kcheck preflight``: will this host capture a crash dump?

The host's own files become the same :class:`~kcheck.facts.setup.Setup` that
``kcheck check`` builds from options, so every rule applies unchanged:

* system config: the running kernel's (/boot/config-<release>, /proc/config.gz
  or the modules tree);
* capture config: the capture kernel's when the service loads a different
  release whose config is present, else the running kernel's;
* command line: /proc/cmdline; memory: the System RAM in /proc/iomem;
* kexec: the command the kdump service would run (kdump_service);
* plus the host facts (``host.*``) the rules in rules/host.toml read.

The verdict is decided by errors; with none, the host will capture a dump
only if every rule that may apply was judged.  Otherwise kcheck says it
cannot tell, and why (an unreadable /proc/iomem, no config for the running
kernel), never "WILL capture".
"""

from __future__ import annotations

from typing import Any

from kcheck.domain import arch as arches
from kcheck.engine.evaluate import evaluate
from kcheck.engine.loader import load_rules
from kcheck.facts.setup import Kernel, Setup
from kcheck.domain.cmdline import parse_cmdline
from kcheck.inputs.host import HostFacts, read_host
from kcheck.inputs.kconfig import read_config
from kcheck.domain.kexec import parse_kexec
from kcheck.domain.findings import (SYMPTOMS, VERDICT_ORDER, Finding, Report, RuleResult, Severity, Verdict,
                                    completeness_of)
from kcheck.app.pipeline import CheckRequest, describe_inputs, kernel_arch
from kcheck.domain.version import KernelVersion
from kcheck.facts.host_map import host_memory_map


def host_setup(host: HostFacts) -> Setup:
    """The check set-up that the host's files describe."""
    root = host.root
    system_config = host.config_data
    capture_config = read_config(root.resolve(host.capture_config)) if host.capture_config else None
    system = _kernel("system", system_config, host.release)
    capture = _kernel("capture", capture_config, host.capture_release) if capture_config else \
        Kernel("capture", system_config, system.version, system.version_source, system.arch, None,
               system.arch_source, system.arch_conflict)
    service = host.service
    kexec = None
    if service is not None and service.kexec_text is not None:
        kexec = parse_kexec(service.kexec_text, source=root.show(service.settings or "kexec"))
    return Setup(
        system=system,
        capture=capture,
        same_kernel=capture_config is None,
        cmdline=parse_cmdline(host.cmdline),
        cmdline_source=root.show("/proc/cmdline"),
        kexec=kexec,
        kexec_source=f"{service.name} (derived from {root.show(service.settings or '')})"
        if service else "--kexec",
        memory=host.memory,
        host=host,
        kexec_tools_version=host.kexec_tools[0] if host.kexec_tools else None,
    )


def _kernel(role: str, config: Any, release: str | None) -> Kernel:
    """Version from the config header, else the release; arch from the config, else the release."""
    version = config.header_version if config is not None else None
    source = "config header" if version else None
    if version is None and release:
        version, source = KernelVersion.parse(release), "osrelease"
    arch, arch_source, conflict = kernel_arch(config, version)
    if arch is None and release:
        arch = arches.canonical(release.replace(".", "-").rsplit("-", 1)[-1])
        arch_source = "osrelease" if arch else None
    return Kernel(role, config, version, source if version else None, arch, None, arch_source, conflict)


def run_preflight(root: str, rule_files: tuple[str, ...] = ()) -> Report:
    """Read the host under ``root``, run every rule, decide the verdict."""
    rules = load_rules(rule_files)
    host = read_host(root)
    setup = host_setup(host)
    results = tuple(evaluate(rules, setup))
    notes = list(host.notes)
    if host.config is None:
        notes.append(f"no config found for the running kernel {host.release or ''}".rstrip()
                     + ": kernel config rules were skipped")
    memory_map = host_memory_map(host)
    return Report(inputs=host_inputs(host, setup), results=results, notes=tuple(notes),
                  verdict=decide(results), sources=tuple(dict.fromkeys(host.root.read)),
                  memory_map=memory_map.as_dict() if memory_map else None)


def decide(results: tuple[RuleResult, ...]) -> Verdict:
    """An unwaived error: the host will not capture, for the most basic error.  None, and
    every rule judged: it will.  None, but some rule undecided: kcheck cannot tell."""
    completeness = completeness_of(results)
    errors = [r.finding for r in results if r.finding is not None
              and r.finding.severity is Severity.ERROR and not r.finding.waived]
    if not errors:
        return Verdict(captures=True if completeness.complete else None, completeness=completeness)
    main = min(errors, key=_priority)
    return Verdict(captures=False, reason=main.message, rule=main.rule, completeness=completeness)


def _priority(finding: Finding) -> tuple[int, int, str]:
    kernel = VERDICT_ORDER.index(finding.concerns) if finding.concerns in VERDICT_ORDER else 99
    return (finding.rule in SYMPTOMS, kernel, finding.rule)


def host_inputs(host: HostFacts, setup: Setup) -> dict[str, Any]:
    """The report's ``inputs``: the check inputs plus what was read from the host."""
    root = host.root
    show = root.show
    inputs = describe_inputs(setup, CheckRequest(
        system_config=show(host.config) if host.config else None,
        capture_config=show(host.capture_config) if host.capture_config else None,
        kexec_file=setup.kexec_source if setup.kexec is not None else None))
    service = host.service
    inputs["host"] = {
        "root": root.root,
        "release": host.release,
        "service": service.name if service else None,
        "settings": show(service.settings) if service and service.settings else None,
        "capture_kernel": host.capture_kernel or (service.kernel if service else None),
        "capture_initrd": _shown_initrd(host),
        "capture_cmdline": service.cmdline if service else None,
        "file_syscall": service.file_syscall if service else None,
        "iomem_readable": host.iomem_readable,
        "memory": host.memory,
        "crash_regions": [{"start": r.start, "end": r.end} for r in host.crash_regions]
        if host.iomem_readable and not (host.iomem and host.iomem.crash_problem) else None,
        "kexec_crash_loaded": host.kexec_crash_loaded,
        "kexec_crash_size": host.kexec_crash_size,
        "secure_boot": host.secure_boot,
        "kexec_tools": {"version": host.kexec_tools[0], "source": host.kexec_tools[1]} if host.kexec_tools else None,
    }
    return inputs


def _shown_initrd(host: HostFacts) -> str | None:
    """The initrd the service names, with links followed when it exists."""
    service = host.service
    if service is None or service.initrd is None:
        return None
    if host.root.exists(service.initrd):
        return host.root.host_path(service.initrd)
    return service.initrd
