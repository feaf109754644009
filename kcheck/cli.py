"""The ``kcheck`` commands: their options, and a call into :mod:`kcheck.app` each.

Exit status: 0 when no finding is at or above ``--fail-on``, 1 when one is,
2 for usage errors and unreadable input (one ``kcheck: error:`` line); the
process around the commands (errors, exit, broken pipes) is :mod:`kcheck.console`.
"""

# Each command imports what it runs (kcheck.app, the engine's pages) in its body, marked
# ``# lazy``: only the command that runs pays for its graph.
# No ``from __future__ import annotations`` here: typer reads these
# signatures at every start, and string annotations would each be eval'ed.
# Options are typer's default-value style, shared as module constants:
# ``Annotated[...]`` aliases cost more to build than the rest of this module.
import sys
from typing import Any

import typer

from kcheck import __version__
from kcheck.domain.errors import KcheckError
from kcheck.domain.findings import Severity
from kcheck.options import (  # the options the commands share
    Format, ListFormat, FleetFormat, FleetFailOn, FailOn, SYSTEM_CONFIG_OPTION, CAPTURE_CONFIG_OPTION,
    CMDLINE_TEXT_OPTION, CMDLINE_FILE_OPTION, KEXEC_TEXT_OPTION, KEXEC_FILE_OPTION, SYSTEM_IMAGE_OPTION,
    CAPTURE_IMAGE_OPTION, MEMORY_OPTION, VERSION_OPTION, ARCH_OPTION, KEXEC_TOOLS_VERSION_OPTION,
    RULES_OPTION, WAIVERS_OPTION, JOBS_OPTION, OUTPUT_FORMAT_OPTION, OUTPUT_OPTION, FAIL_ON_OPTION,
    REQUIRE_COMPLETE_OPTION, VERBOSE_OPTION, QUIET_OPTION, PROGRESS_OPTION, MANIFEST_OPTION,
    CONFIG_FILES_ARGUMENT, ROOT_OPTION, OUTPUT_DIR_OPTION, KERNEL_SRC_OPTION, VERIFY_WITH_KBUILD_OPTION,
    SUMMARY_FORMAT_OPTION, LIST_FORMAT_OPTION, REPORTS_ARGUMENT, FLEET_FORMAT_OPTION, FLEET_FAIL_ON_OPTION,
    RULE_ID_ARGUMENT,
)
from kcheck.options import (  # kcheck rehearse's options
    RehearseFormat, Accel, REHEARSE_SYSTEM_IMAGE_OPTION, REHEARSE_CAPTURE_IMAGE_OPTION, CAPTURE_INITRD_OPTION,
    OVERLAY_PROBE_OPTION, SUCCESS_PATTERN_OPTION, VM_MEMORY_OPTION, VM_CPUS_OPTION, QEMU_OPTION, ACCEL_OPTION,
    TIMEOUT_OPTION, CONSOLE_LOG_OPTION, FIND_MIN_OPTION, QUIET_PROGRESS_OPTION, REHEARSE_FORMAT_OPTION,
    GUEST_ROOT_OPTION,
)

#: ``-h`` is ``--help`` everywhere, as in most CLIs (click only knows ``--help``).
CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
    help="Check that a kdump set-up will capture a crash dump.",
)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"kcheck {__version__}\n")
        raise typer.Exit(0)


VERSION_FLAG = typer.Option(False, "--version", "-V", is_eager=True, callback=_print_version,
                            help="Print kcheck's version and exit.")


@app.callback()
def _main(version: bool = VERSION_FLAG) -> None:
    """Check that a kdump set-up will capture a crash dump."""


@app.command(context_settings=CONTEXT)
def check(
    system_config: str | None = SYSTEM_CONFIG_OPTION,
    capture_config: str | None = CAPTURE_CONFIG_OPTION,
    cmdline: str | None = CMDLINE_TEXT_OPTION,
    cmdline_file: str | None = CMDLINE_FILE_OPTION,
    kexec: str | None = KEXEC_TEXT_OPTION,
    kexec_file: str | None = KEXEC_FILE_OPTION,
    system_image: str | None = SYSTEM_IMAGE_OPTION,
    capture_image: str | None = CAPTURE_IMAGE_OPTION,
    memory: str | None = MEMORY_OPTION,
    kernel_version: str | None = VERSION_OPTION,
    arch: str | None = ARCH_OPTION,
    kexec_tools_version: str | None = KEXEC_TOOLS_VERSION_OPTION,
    rules: list[str] | None = RULES_OPTION,
    waivers: str | None = WAIVERS_OPTION,
    manifest: str | None = MANIFEST_OPTION,
    jobs: int | None = JOBS_OPTION,
    output_format: Format = OUTPUT_FORMAT_OPTION,
    output: str | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    require_complete: bool = REQUIRE_COMPLETE_OPTION,
    verbose: bool = VERBOSE_OPTION,
    quiet: bool = QUIET_OPTION,
    progress: bool | None = PROGRESS_OPTION,
) -> None:
    """Check configs, boot command line and kexec command against the kdump rules."""
    from kcheck.app.pipeline import CheckRequest, run_check  # lazy: the command's graph

    setup_options = (system_config, capture_config, cmdline, cmdline_file, kexec, kexec_file,
                     system_image, capture_image, memory, kernel_version, arch, kexec_tools_version)
    waiver_list = _load_waivers(waivers)
    if manifest:
        if any(option is not None for option in setup_options):
            raise typer.BadParameter("--manifest replaces the set-up options; put them in the manifest")
        from kcheck.app.batch import PATH_KEYS, BatchOptions, load_manifest, report_batch  # lazy: the command's graph

        targets: list[Any] = []

        def read_manifest() -> Any:  # once the workers are forked: they need not hold it
            targets.extend(load_manifest(manifest, tuple(rules or ())))
            return targets

        def inputs() -> tuple[Any, ...]:
            paths = dict.fromkeys(getattr(t.request, key) for t in targets for key in PATH_KEYS)
            return (manifest, waivers, *paths, *(rules or ()))

        raise typer.Exit(report_batch(
            read_manifest, BatchOptions(tuple(rules or ()), waiver_list, None, _threshold(fail_on), manifest,
                                        require_complete),
            output_format.value, output, inputs, verbose=verbose, jobs=jobs, progress=progress,
            quiet=quiet))
    if not any((system_config, capture_config, cmdline, cmdline_file, kexec, kexec_file,
                system_image, capture_image)):
        raise typer.BadParameter("give at least --system-config (and usually --cmdline and --kexec)")
    request = CheckRequest(
        system_config=system_config, capture_config=capture_config, cmdline=cmdline,
        cmdline_file=cmdline_file, kexec=kexec, kexec_file=kexec_file, system_image=system_image,
        capture_image=capture_image, memory=memory, kernel_version=kernel_version,
        arch=arch, rule_files=tuple(rules or ()), kexec_tools_version=kexec_tools_version)
    report = run_check(request)
    if waiver_list:
        from kcheck.app.waivers import apply_waivers  # lazy: the command's graph

        report = apply_waivers(report, waiver_list)
    _emit(report, output_format.value, output, verbose, fail_on,
          inputs=(system_config, capture_config, cmdline_file, kexec_file, system_image, capture_image,
                  waivers, *(rules or ())), require_complete=require_complete, quiet=quiet)
    raise typer.Exit(report.exit_status(_threshold(fail_on), require_complete))


@app.command("lint-configs", context_settings=CONTEXT)
def lint_configs(
    files: list[str] = CONFIG_FILES_ARGUMENT,
    kernel_version: str | None = VERSION_OPTION,
    arch: str | None = ARCH_OPTION,
    rules: list[str] | None = RULES_OPTION,
    waivers: str | None = WAIVERS_OPTION,
    jobs: int | None = JOBS_OPTION,
    output_format: Format = OUTPUT_FORMAT_OPTION,
    output: str | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    require_complete: bool = REQUIRE_COMPLETE_OPTION,
    verbose: bool = VERBOSE_OPTION,
    quiet: bool = QUIET_OPTION,
    progress: bool | None = PROGRESS_OPTION,
) -> None:
    """Check each .config as a kernel that is also its own capture kernel (the pre-commit hook)."""
    from kcheck.app.batch import BatchOptions, config_targets, report_batch  # lazy: the command's graph

    targets = config_targets(files, tuple(rules or ()), kernel_version, arch)
    raise typer.Exit(report_batch(
        targets, BatchOptions(tuple(rules or ()), _load_waivers(waivers), None, _threshold(fail_on),
                              require_complete=require_complete),
        output_format.value, output, (*files, waivers, *(rules or ())), verbose=verbose, jobs=jobs,
        progress=progress, quiet=quiet))


def _load_waivers(path: str | None) -> tuple[Any, ...]:
    if path is None:
        return ()
    from kcheck.app.waivers import load_waivers  # lazy: the command's graph

    return load_waivers(path)


def _threshold(fail_on: FailOn) -> Any:
    return None if fail_on is FailOn.never else Severity.parse(fail_on.value)


def _emit(report: object, fmt: str, output: str | None, verbose: bool, fail_on: FailOn,
          inputs: tuple[str | None, ...], require_complete: bool = False, quiet: bool = False) -> None:
    from kcheck.reporters import render  # lazy: the reporters, only when a report is written

    if output:
        from kcheck.app.output import refuse_inputs, write_atomic  # lazy: only with -o

        refuse_inputs(output, inputs)
    color = output is None and fmt == "text" and sys.stdout.isatty()
    options: dict[str, Any] = {"quiet": True} if quiet and fmt == "text" else {}
    text = render(fmt, report, color=color, verbose=verbose, fail_on=_threshold(fail_on),  # type: ignore[arg-type]
                  require_complete=require_complete, **options)
    if output:
        write_atomic(output, text, inputs=inputs)
    else:
        sys.stdout.write(text)


@app.command(context_settings=CONTEXT)
def preflight(
    root: str = ROOT_OPTION,
    rules: list[str] | None = RULES_OPTION,
    output_format: Format = OUTPUT_FORMAT_OPTION,
    output: str | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    require_complete: bool = REQUIRE_COMPLETE_OPTION,
    verbose: bool = VERBOSE_OPTION,
    waivers: str | None = WAIVERS_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Check a running host (or a captured tree): will it capture a crash dump?"""
    from kcheck.app.preflight import run_preflight  # lazy: the command's graph

    report = run_preflight(root, tuple(rules or ()))
    waiver_list = _load_waivers(waivers)
    if waiver_list:
        from kcheck.app.waivers import apply_waivers  # lazy: the command's graph

        report = apply_waivers(report, waiver_list)
    _emit(report, output_format.value, output, verbose, fail_on, inputs=(waivers, *(rules or ()), *report.sources),
          require_complete=require_complete, quiet=quiet)
    raise typer.Exit(report.exit_status(_threshold(fail_on), require_complete))


@app.command(context_settings=CONTEXT)
def fleet(
    reports: list[str] = REPORTS_ARGUMENT,
    output_format: FleetFormat = FLEET_FORMAT_OPTION,
    output: str | None = OUTPUT_OPTION,
    fail_on: FleetFailOn = FLEET_FAIL_ON_OPTION,
) -> None:
    """Roll many pre-flight and check reports up: one row per host, grouped by verdict and reason."""
    from kcheck.app.fleet import run_fleet  # lazy: the command's graph

    color = output is None and output_format is FleetFormat.text and sys.stdout.isatty()
    raise typer.Exit(run_fleet(tuple(reports), output_format.value, output,
                               None if fail_on is FleetFailOn.never else fail_on.value, color=color))


@app.command(context_settings=CONTEXT)
def fix(
    output_dir: str = OUTPUT_DIR_OPTION,
    system_config: str | None = SYSTEM_CONFIG_OPTION,
    capture_config: str | None = CAPTURE_CONFIG_OPTION,
    cmdline: str | None = CMDLINE_TEXT_OPTION,
    cmdline_file: str | None = CMDLINE_FILE_OPTION,
    kexec: str | None = KEXEC_TEXT_OPTION,
    kexec_file: str | None = KEXEC_FILE_OPTION,
    memory: str | None = MEMORY_OPTION,
    kernel_version: str | None = VERSION_OPTION,
    arch: str | None = ARCH_OPTION,
    rules: list[str] | None = RULES_OPTION,
    kernel_src: str | None = KERNEL_SRC_OPTION,
    verify_with_kbuild: bool = VERIFY_WITH_KBUILD_OPTION,
    output_format: ListFormat = SUMMARY_FORMAT_OPTION,
) -> None:
    """Write config fragments, a corrected boot command line and kexec command."""
    from kcheck.app.fix import make_fixes, render_json, write_outputs  # lazy: the command's graph
    from kcheck.app.pipeline import CheckRequest, read_setup, run_check_on  # lazy: the command's graph

    if verify_with_kbuild and kernel_src is None:
        raise typer.BadParameter("--verify-with-kbuild needs --kernel-src")
    if not any((system_config, capture_config, cmdline, cmdline_file, kexec, kexec_file)):
        raise typer.BadParameter("give at least --system-config (and usually --cmdline and --kexec)")
    request = CheckRequest(
        system_config=system_config, capture_config=capture_config, cmdline=cmdline,
        cmdline_file=cmdline_file, kexec=kexec, kexec_file=kexec_file, memory=memory,
        kernel_version=kernel_version, arch=arch, rule_files=tuple(rules or ()))
    setup = read_setup(request)
    inputs = [system_config, capture_config, cmdline_file, kexec_file, *(rules or ())]
    result = make_fixes(setup, lambda s: run_check_on(request, s), kernel_src=kernel_src,
                        verify_with_kbuild=verify_with_kbuild,
                        config_paths={"system": system_config, "capture": capture_config or system_config})
    write_outputs(result, output_dir, inputs)
    text = render_json(result) if output_format is ListFormat.json else _shown(result.files["summary.txt"])
    sys.stdout.write(text)
    raise typer.Exit(0 if result.complete else 1)


# --- kcheck rehearse (issue 11): the command; its options are at the end of kcheck/options.py ---
@app.command(context_settings=CONTEXT)
def rehearse(
    system_image: str | None = REHEARSE_SYSTEM_IMAGE_OPTION,
    kexec: str | None = KEXEC_TEXT_OPTION,
    kexec_file: str | None = KEXEC_FILE_OPTION,
    cmdline: str | None = CMDLINE_TEXT_OPTION,
    cmdline_file: str | None = CMDLINE_FILE_OPTION,
    system_config: str | None = SYSTEM_CONFIG_OPTION,
    capture_config: str | None = CAPTURE_CONFIG_OPTION,
    capture_image: str | None = REHEARSE_CAPTURE_IMAGE_OPTION,
    capture_initrd: str | None = CAPTURE_INITRD_OPTION,
    overlay_probe: bool = OVERLAY_PROBE_OPTION,
    success_pattern: str | None = SUCCESS_PATTERN_OPTION,
    vm_memory: str = VM_MEMORY_OPTION,
    vm_cpus: int = VM_CPUS_OPTION,
    qemu: str | None = QEMU_OPTION,
    accel: Accel = ACCEL_OPTION,
    timeout: float = TIMEOUT_OPTION,
    console_log: str | None = CONSOLE_LOG_OPTION,
    find_min_crashkernel: bool = FIND_MIN_OPTION,
    guest_root: str | None = GUEST_ROOT_OPTION,
    rules: list[str] | None = RULES_OPTION,
    output_format: RehearseFormat = REHEARSE_FORMAT_OPTION,
    output: str | None = OUTPUT_OPTION,
    no_progress: bool = QUIET_PROGRESS_OPTION,
) -> None:
    """Fire drill: boot the set-up in QEMU, arm kdump, panic, and follow the capture kernel."""
    # lazy: the command's graph
    from kcheck.rehearse.command import RehearseRequest, emit, run_rehearse, stderr_progress

    request = RehearseRequest(
        system_image=system_image, kexec=kexec, kexec_file=kexec_file, cmdline=cmdline,
        cmdline_file=cmdline_file, system_config=system_config, capture_config=capture_config,
        capture_image=capture_image, capture_initrd=capture_initrd, overlay_probe=overlay_probe,
        success_pattern=success_pattern, vm_memory=vm_memory, vm_cpus=vm_cpus, qemu=qemu,
        accel=accel.value, timeout=timeout, console_log=console_log, find_min=find_min_crashkernel,
        guest_root=guest_root, rule_files=tuple(rules or ()))
    try:
        report = run_rehearse(request, stderr_progress(no_progress))
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: QEMU is already killed, the scratch files removed
        raise KcheckError("rehearse", "interrupted: the VM was stopped and its files removed") from None
    raise typer.Exit(emit(report, output_format.value, output, request))
# --- end of kcheck rehearse ---------------------------------------------------


@app.command("rules", context_settings=CONTEXT)
def list_rules(
    rules: list[str] | None = RULES_OPTION,
    output_format: ListFormat = LIST_FORMAT_OPTION,
) -> None:
    """List the rules: id, severity, where they apply, title."""
    from kcheck.engine.docs import rule_list  # lazy: the command's graph

    sys.stdout.write(_shown(rule_list(tuple(rules or ()), output_format.value)))


@app.command(context_settings=CONTEXT)
def explain(
    rule_id: str = RULE_ID_ARGUMENT,
    rules: list[str] | None = RULES_OPTION,
) -> None:
    """Print one rule's page: what it checks, why, an example, the fix, the source."""
    from kcheck.engine.docs import rule_page  # lazy: the command's graph

    sys.stdout.write(_shown(rule_page(rule_id, tuple(rules or ()))))


@app.command("facts", context_settings=CONTEXT)
def list_facts(output_format: ListFormat = LIST_FORMAT_OPTION) -> None:
    """List every fact path a rule may name, with its type and what it means."""
    from kcheck.facts.listing import fact_list  # lazy: the command's graph

    sys.stdout.write(fact_list(output_format.value))


def _shown(text: str) -> str:
    """Text for the terminal: a user's rule file or input cannot send control characters to it."""
    from kcheck.reporters.escape import terminal  # lazy: only the listing commands print through it

    return terminal(text)
