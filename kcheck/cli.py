"""The ``kcheck`` command: parse options, wire the stages, set the exit status.

Exit status: 0 when no finding is at or above ``--fail-on``, 1 when one is,
2 for usage errors and unreadable input (one ``kcheck: error:`` line).
"""

# No ``from __future__ import annotations`` here: typer reads these
# signatures at every start, and string annotations would each be eval'ed.
# Options are typer's default-value style, shared as module constants:
# ``Annotated[...]`` aliases cost more to build than the rest of this module.
import enum
import sys
from typing import Any

import typer

from kcheck.domain.errors import KcheckError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Check that a kdump set-up will capture a crash dump.",
)


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"


class ListFormat(str, enum.Enum):
    text = "text"
    json = "json"


class FleetFormat(str, enum.Enum):
    text = "text"
    json = "json"
    junit = "junit"
    html = "html"


class FleetFailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    never = "never"


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


SYSTEM_CONFIG_OPTION = typer.Option(
    None, "--system-config", metavar="PATH",
    help="System kernel .config (.gz, /proc/config.gz or an image with CONFIG_IKCONFIG).")
CAPTURE_CONFIG_OPTION = typer.Option(
    None, "--capture-config", metavar="PATH",
    help="Capture kernel .config; omitted: the system kernel is also the capture kernel.")
CMDLINE_TEXT_OPTION = typer.Option(
    None, "--cmdline", metavar="TEXT", help="The system kernel's boot command line.")
CMDLINE_FILE_OPTION = typer.Option(
    None, "--cmdline-file", metavar="PATH", help="File holding the boot command line, e.g. /proc/cmdline.")
KEXEC_TEXT_OPTION = typer.Option(
    None, "--kexec", metavar="COMMAND", help='The kexec command that loads the capture kernel, e.g. "kexec -p ...".')
KEXEC_FILE_OPTION = typer.Option(
    None, "--kexec-file", metavar="PATH", help="File holding the kexec command (e.g. from a kdump script).")
SYSTEM_IMAGE_OPTION = typer.Option(
    None, "--system-image", metavar="PATH", help="System kernel image (vmlinux or bzImage), e.g. the vmlinux kept for analysis.")
CAPTURE_IMAGE_OPTION = typer.Option(
    None, "--capture-image", metavar="PATH", help="Capture kernel image that kexec -p loads (vmlinux or bzImage).")
MEMORY_OPTION = typer.Option(
    None, "--memory", metavar="SIZE", help="The machine's RAM (e.g. 8G), to resolve crashkernel= ranges.")
VERSION_OPTION = typer.Option(
    None, "--kernel-version", metavar="X.Y.Z", help="Kernel version of both kernels, overriding the config headers.")
ARCH_OPTION = typer.Option(
    None, "--arch", metavar="ARCH", help="Architecture of both kernels (i386, x86_64, arm64, ppc64le, s390x ...).")
KEXEC_TOOLS_VERSION_OPTION = typer.Option(
    None, "--kexec-tools-version", metavar="X.Y.Z",
    help="The kexec-tools release that runs the kexec command (2.0.27+ tries kexec_file_load first).")
RULES_OPTION = typer.Option(
    None, "--rules", metavar="PATH", help="Extra rule file or directory (validated against the rule schema).")
WAIVERS_OPTION = typer.Option(
    None, "--waivers", metavar="PATH", help="TOML file of [[waiver]] tables: accepted findings, with reasons.")
JOBS_OPTION = typer.Option(
    None, "--jobs", "-j", metavar="N", min=1,
    help="Worker processes for a batch (default: one per CPU this process may use).")
OUTPUT_FORMAT_OPTION = typer.Option(Format.text, "--format", help="Report format.")
OUTPUT_OPTION = typer.Option(
    None, "--output", "-o", metavar="PATH", help="Write the report here (atomically) instead of stdout.")
FAIL_ON_OPTION = typer.Option(FailOn.error, "--fail-on", help="Lowest severity that makes the exit status 1.")
REQUIRE_COMPLETE_OPTION = typer.Option(
    False, "--require-complete",
    help="Also exit 1 when the report is INCOMPLETE: some rule that may apply could not be judged.")
VERBOSE_OPTION = typer.Option(False, "--verbose", "-v", help="Also list rules that did not apply.")
PROGRESS_OPTION = typer.Option(
    None, "--progress/--no-progress",
    help="Show a batch's progress on stderr (default: only when stderr is a terminal).")
MANIFEST_OPTION = typer.Option(
    None, "--manifest", metavar="PATH", help="TOML file of [[target]] set-ups to check together.")
CONFIG_FILES_ARGUMENT = typer.Argument(..., metavar="CONFIG...", help="Kernel .config files.")
ROOT_OPTION = typer.Option(
    "/", "--root", metavar="DIR", help="Host tree to read: / for this host, or a tree captured from one.")
OUTPUT_DIR_OPTION = typer.Option(..., "--output-dir", metavar="DIR", help="Where to write fragments and commands.")
KERNEL_SRC_OPTION = typer.Option(
    None, "--kernel-src", metavar="PATH",
    help="Kernel source tree: resolve Kconfig dependencies so the fragment survives olddefconfig.")
VERIFY_WITH_KBUILD_OPTION = typer.Option(
    False, "--verify-with-kbuild", help="Also run the tree's own make olddefconfig (in a temporary O=) and compare.")
SUMMARY_FORMAT_OPTION = typer.Option(ListFormat.text, "--format", help="Summary format.")
LIST_FORMAT_OPTION = typer.Option(ListFormat.text, "--format", help="List format.")
REPORTS_ARGUMENT = typer.Argument(
    ..., metavar="REPORT...", help="kcheck JSON reports (preflight, check, --manifest) or directories of *.json.")
FLEET_FORMAT_OPTION = typer.Option(FleetFormat.text, "--format", help="Roll-up format.")
FLEET_FAIL_ON_OPTION = typer.Option(
    FleetFailOn.error, "--fail-on",
    help="error: exit 1 when a host will not capture (or was not checked); warning: also on warnings.")
RULE_ID_ARGUMENT = typer.Argument(..., metavar="ID", help="Rule id (KC001) or name.")


@app.command()
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
    progress: bool | None = PROGRESS_OPTION,
) -> None:
    """Check configs, boot command line and kexec command against the kdump rules."""
    from kcheck.app.pipeline import CheckRequest, run_check

    setup_options = (system_config, capture_config, cmdline, cmdline_file, kexec, kexec_file,
                     system_image, capture_image, memory, kernel_version, arch, kexec_tools_version)
    waiver_list = _load_waivers(waivers)
    if manifest:
        if any(option is not None for option in setup_options):
            raise typer.BadParameter("--manifest replaces the set-up options; put them in the manifest")
        from kcheck.app.batch import PATH_KEYS, BatchOptions, load_manifest, report_batch

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
            output_format.value, output, inputs, verbose=verbose, jobs=jobs, progress=progress))
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
        from kcheck.app.waivers import apply_waivers

        report = apply_waivers(report, waiver_list)
    _emit(report, output_format.value, output, verbose, fail_on,
          inputs=(system_config, capture_config, cmdline_file, kexec_file, system_image, capture_image,
                  waivers, *(rules or ())), require_complete=require_complete)
    raise typer.Exit(report.exit_status(_threshold(fail_on), require_complete))


@app.command("lint-configs")
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
    progress: bool | None = PROGRESS_OPTION,
) -> None:
    """Check each .config as a kernel that is also its own capture kernel (the pre-commit hook)."""
    from kcheck.app.batch import BatchOptions, config_targets, report_batch

    targets = config_targets(files, tuple(rules or ()), kernel_version, arch)
    raise typer.Exit(report_batch(
        targets, BatchOptions(tuple(rules or ()), _load_waivers(waivers), None, _threshold(fail_on),
                              require_complete=require_complete),
        output_format.value, output, (*files, waivers, *(rules or ())), verbose=verbose, jobs=jobs,
        progress=progress))


def _load_waivers(path: str | None) -> tuple[Any, ...]:
    if path is None:
        return ()
    from kcheck.app.waivers import load_waivers

    return load_waivers(path)


def _threshold(fail_on: FailOn) -> Any:
    from kcheck.domain.findings import Severity

    return None if fail_on is FailOn.never else Severity.parse(fail_on.value)


def _emit(report: object, fmt: str, output: str | None, verbose: bool, fail_on: FailOn,
          inputs: tuple[str | None, ...], require_complete: bool = False) -> None:
    from kcheck.app.output import refuse_inputs, write_atomic
    from kcheck.reporters import render

    if output:
        refuse_inputs(output, inputs)
    color = output is None and fmt == "text" and sys.stdout.isatty()
    text = render(fmt, report, color=color, verbose=verbose, fail_on=_threshold(fail_on),  # type: ignore[arg-type]
                  require_complete=require_complete)
    if output:
        write_atomic(output, text, inputs=inputs)
    else:
        sys.stdout.write(text)


@app.command()
def preflight(
    root: str = ROOT_OPTION,
    rules: list[str] | None = RULES_OPTION,
    output_format: Format = OUTPUT_FORMAT_OPTION,
    output: str | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    require_complete: bool = REQUIRE_COMPLETE_OPTION,
    verbose: bool = VERBOSE_OPTION,
    waivers: str | None = WAIVERS_OPTION,
) -> None:
    """Check a running host (or a captured tree): will it capture a crash dump?"""
    from kcheck.app.preflight import run_preflight

    report = run_preflight(root, tuple(rules or ()))
    waiver_list = _load_waivers(waivers)
    if waiver_list:
        from kcheck.app.waivers import apply_waivers

        report = apply_waivers(report, waiver_list)
    _emit(report, output_format.value, output, verbose, fail_on, inputs=(waivers, *(rules or ()), *report.sources),
          require_complete=require_complete)
    raise typer.Exit(report.exit_status(_threshold(fail_on), require_complete))


@app.command()
def fleet(
    reports: list[str] = REPORTS_ARGUMENT,
    output_format: FleetFormat = FLEET_FORMAT_OPTION,
    output: str | None = OUTPUT_OPTION,
    fail_on: FleetFailOn = FLEET_FAIL_ON_OPTION,
) -> None:
    """Roll many pre-flight and check reports up: one row per host, grouped by verdict and reason."""
    from kcheck.app.fleet import run_fleet

    color = output is None and output_format is FleetFormat.text and sys.stdout.isatty()
    raise typer.Exit(run_fleet(tuple(reports), output_format.value, output,
                               None if fail_on is FleetFailOn.never else fail_on.value, color=color))


@app.command()
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
    from kcheck.app.fix import make_fixes, render_json, write_outputs
    from kcheck.app.pipeline import CheckRequest, read_setup, run_check_on

    if verify_with_kbuild and kernel_src is None:
        raise typer.BadParameter("--verify-with-kbuild needs --kernel-src")
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
    text = render_json(result) if output_format is ListFormat.json else result.files["summary.txt"]
    sys.stdout.write(text)
    unfixed = result.plan.manual or any(f.unresolved or f.kbuild_disagrees for f in result.fragments)
    raise typer.Exit(1 if unfixed else 0)


# --- kcheck rehearse (issue 11): its options, then the command ---------------
class RehearseFormat(str, enum.Enum):
    text = "text"
    json = "json"
    junit = "junit"


class Accel(str, enum.Enum):
    auto = "auto"
    kvm = "kvm"
    tcg = "tcg"


REHEARSE_SYSTEM_IMAGE_OPTION = typer.Option(
    None, "--system-image", metavar="PATH", help="The system kernel's bzImage, booted in the VM.")
REHEARSE_CAPTURE_IMAGE_OPTION = typer.Option(
    None, "--capture-image", metavar="PATH", help="The file kexec loads as the capture kernel (default: the system image).")
CAPTURE_INITRD_OPTION = typer.Option(
    None, "--capture-initrd", metavar="PATH", help="Your own capture initrd (default: kcheck's probe initrd).")
OVERLAY_PROBE_OPTION = typer.Option(
    False, "--overlay-probe", help="Append the probe to --capture-initrd: your initrd's size, the probe's /init.")
SUCCESS_PATTERN_OPTION = typer.Option(
    None, "--success-pattern", metavar="REGEX", help="What --capture-initrd prints once the dump is saved.")
VM_MEMORY_OPTION = typer.Option("1G", "--vm-memory", metavar="SIZE", help="The VM's RAM.")
VM_CPUS_OPTION = typer.Option(1, "--vm-cpus", metavar="N", min=1, max=64, help="The VM's CPU count.")
QEMU_OPTION = typer.Option(None, "--qemu", metavar="PATH", help="QEMU binary (default: qemu-system-<arch> on PATH).")
ACCEL_OPTION = typer.Option(Accel.auto, "--accel", help="auto: KVM only once a KVM guest is proved to run.")
TIMEOUT_OPTION = typer.Option(240.0, "--timeout", metavar="SECONDS", min=5, help="Stop the VM after this long.")
CONSOLE_LOG_OPTION = typer.Option(None, "--console-log", metavar="PATH", help="Save the VM's serial console here.")
FIND_MIN_OPTION = typer.Option(
    False, "--find-min-crashkernel", help="Bisect the smallest crashkernel= that still gives a readable dump.")
QUIET_PROGRESS_OPTION = typer.Option(False, "--no-progress", help="No stage-by-stage progress on stderr.")
REHEARSE_FORMAT_OPTION = typer.Option(RehearseFormat.text, "--format", help="Report format.")


@app.command()
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
    rules: list[str] | None = RULES_OPTION,
    output_format: RehearseFormat = REHEARSE_FORMAT_OPTION,
    output: str | None = OUTPUT_OPTION,
    no_progress: bool = QUIET_PROGRESS_OPTION,
) -> None:
    """Fire drill: boot the set-up in QEMU, arm kdump, panic, and follow the capture kernel."""
    from kcheck.rehearse.command import RehearseRequest, emit, run_rehearse, stderr_progress

    request = RehearseRequest(
        system_image=system_image, kexec=kexec, kexec_file=kexec_file, cmdline=cmdline,
        cmdline_file=cmdline_file, system_config=system_config, capture_config=capture_config,
        capture_image=capture_image, capture_initrd=capture_initrd, overlay_probe=overlay_probe,
        success_pattern=success_pattern, vm_memory=vm_memory, vm_cpus=vm_cpus, qemu=qemu,
        accel=accel.value, timeout=timeout, console_log=console_log, find_min=find_min_crashkernel,
        rule_files=tuple(rules or ()))
    try:
        report = run_rehearse(request, stderr_progress(no_progress))
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: QEMU is already killed, the scratch files removed
        raise KcheckError("rehearse", "interrupted: the VM was stopped and its files removed") from None
    raise typer.Exit(emit(report, output_format.value, output, request))
# --- end of kcheck rehearse ---------------------------------------------------


@app.command("rules")
def list_rules(
    rules: list[str] | None = RULES_OPTION,
    output_format: ListFormat = LIST_FORMAT_OPTION,
) -> None:
    """List the rules: id, severity, where they apply, title."""
    from kcheck.engine.docs import rule_list

    sys.stdout.write(rule_list(tuple(rules or ()), output_format.value))


@app.command()
def explain(
    rule_id: str = RULE_ID_ARGUMENT,
    rules: list[str] | None = RULES_OPTION,
) -> None:
    """Print one rule's page: what it checks, why, an example, the fix, the source."""
    from kcheck.engine.docs import rule_page

    sys.stdout.write(rule_page(rule_id, tuple(rules or ())))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every user-facing error into one line."""
    from typer.exceptions import TyperException

    # Paths and --cmdline text given as non-UTF-8 bytes reach Python
    # surrogate-escaped; print them back as those bytes, never a traceback.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    args = sys.argv[1:] if argv is None else argv
    try:
        status = _command(args).main(args=args[1:] if _single(args) else args,
                                     prog_name=f"kcheck {args[0]}" if _single(args) else "kcheck",
                                     standalone_mode=False)
    except KcheckError as exc:
        status = _error(str(exc))
    except typer.Exit as exc:
        status = exc.exit_code
    except TyperException as exc:  # usage errors: bad option, bad value
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `kcheck`: show the commands
            sys.stderr.write(exc.format_message() + "\n")
            status = 2
        else:
            status = _error(exc.format_message())
    except (typer.Abort, KeyboardInterrupt):
        status = _error("interrupted")
    except BrokenPipeError:  # the reader left (``kcheck rules | head -1``): no traceback
        status = _broken_pipe()
    sys.exit(status if isinstance(status, int) else 0)


def run() -> None:
    """The ``kcheck`` command itself: :func:`main`, then leave without tearing down the interpreter.

    Once the report is written, freeing every object of the run one by one
    (module dicts, two parsed configs, the rules) cost a check more than
    reading a config.  As mypy does, flush the streams and end the process
    directly.  ``main()`` stays an ordinary function for callers in Python.
    """
    import os

    try:
        main()
        status = 0
    except SystemExit as exc:  # Python's own rules: None is 0, other non-integers are printed, 1
        if exc.code is None or isinstance(exc.code, int):
            status = exc.code or 0
        else:
            sys.stderr.write(f"{exc.code}\n")
            status = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        status = _broken_pipe()
    sys.stderr.flush()
    os._exit(status)


def _broken_pipe() -> int:
    """Status 1, as Python's documentation advises for EPIPE, and no second error when exiting."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 1


def _single(args: list[str]) -> bool:
    """A known command was named: only it needs building (typer inspects every signature)."""
    return bool(args) and args[0] in {info.name or info.callback.__name__.replace("_", "-")
                                      for info in app.registered_commands if info.callback}


def _command(args: list[str]) -> Any:
    if not _single(args):
        return typer.main.get_command(app)
    info = next(i for i in app.registered_commands
                if (i.name or i.callback.__name__.replace("_", "-")) == args[0])
    single = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    single.registered_commands.append(info)
    return typer.main.get_command(single)


def _error(message: str) -> int:
    sys.stdout.flush()
    sys.stderr.write(f"kcheck: error: {message}\n")
    return 2
