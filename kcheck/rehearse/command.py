"""``kcheck rehearse``: wire the options to a plan, the VM and a report.

A rehearsal is judged beside ``kcheck check``'s prediction for the same
set-up (with the VM's memory as ``--memory``), so a disagreement between
the static verdict and a real crash shows in every report.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kcheck.domain.errors import InputError
from kcheck.domain.records import field, record, replace
from kcheck.rehearse.plan import CONSOLE_FOR_ARCH, Plan, boot_line, kexec_argv, success_regex
from kcheck.rehearse.report import RENDERERS, RehearsalReport
from kcheck.domain.units import parse_number
from kcheck.inputs.initrd import read_initrd
from kcheck.rehearse import run as runner
from kcheck.rehearse.findmin import find_min_crashkernel

MiB = 1 << 20
#: architectures whose kernels kcheck boots in QEMU (qemu.QEMU_FOR_ARCH has the binaries)
REHEARSED_ARCHES = ("x86_64", "i386", "arm64")
#: the image format QEMU's -kernel and kexec-tools both take, per architecture
IMAGE_FORMAT_FOR_ARCH = {"x86_64": "bzImage", "i386": "bzImage", "arm64": "arm64-Image"}


@record
class RehearseRequest:
    """The options of ``kcheck rehearse``, not yet read."""

    system_image: str | None
    kexec: str | None = None
    kexec_file: str | None = None
    cmdline: str | None = None
    cmdline_file: str | None = None
    system_config: str | None = None
    capture_config: str | None = None
    capture_image: str | None = None
    capture_initrd: str | None = None
    overlay_probe: bool = False
    success_pattern: str | None = None
    vm_memory: str = "1G"
    vm_cpus: int = 1
    qemu: str | None = None
    accel: str = "auto"
    timeout: float = 240.0
    console_log: str | None = None
    find_min: bool = False
    guest_root: str | None = None
    rule_files: tuple[str, ...] = field(default=())


def _size_mb(text: str, option: str) -> int:
    try:
        value = parse_number(text)
    except ValueError:
        raise InputError(option, f"{text!r} is not a size such as 1G or 768M") from None
    if value < 128 * MiB or value > 64 << 30:
        raise InputError(option, "must be between 128M and 64G")
    return value // MiB


def _check_request(request: RehearseRequest, memory_mb: int) -> Any:
    from kcheck.app.pipeline import CheckRequest  # lazy: the command's graph

    return CheckRequest(system_config=request.system_config, capture_config=request.capture_config,
                        cmdline=request.cmdline, cmdline_file=request.cmdline_file, kexec=request.kexec,
                        kexec_file=request.kexec_file, system_image=request.system_image,
                        capture_image=request.capture_image or request.system_image,
                        memory=f"{memory_mb}M", rule_files=request.rule_files)


def prepare(request: RehearseRequest) -> tuple[Plan, Any, Any]:
    """Read and validate every input; the plan, the check set-up and its request."""
    from kcheck.app.pipeline import read_setup  # lazy: the command's graph

    if request.system_image is None:
        raise InputError("--system-image", "a rehearsal boots the system kernel: give its image (bzImage)")
    if request.kexec is None and request.kexec_file is None:
        raise InputError("--kexec", "a rehearsal runs the set-up's kexec command: give --kexec or --kexec-file")
    if request.success_pattern is not None and request.capture_initrd is None:
        raise InputError("--success-pattern", "only with --capture-initrd (the probe reports by itself)")
    if request.capture_initrd is not None and request.success_pattern is None and not request.overlay_probe:
        raise InputError("--capture-initrd", "give --success-pattern (what your initrd prints once the dump "
                         "is saved) or --overlay-probe (the probe runs on top of your initrd)")
    success_regex(request.success_pattern)
    memory_mb = _size_mb(request.vm_memory, "--vm-memory")
    check_request = _check_request(request, memory_mb)
    setup = read_setup(check_request)
    arch = _vm_arch(request, setup)
    for role, kernel in (("--system-image", setup.system), ("--capture-image", setup.capture)):
        image = kernel.image
        where = (request.capture_image if role == "--capture-image" and request.capture_image
                 else request.system_image or role)
        if image is None:
            continue
        if image.arch not in (None, *REHEARSED_ARCHES):
            raise InputError(where, f"rehearsals run {', '.join(REHEARSED_ARCHES)} kernels; this one is {image.arch}")
        if image.arch not in (None, arch):
            raise InputError(where, f"an {image.arch} kernel cannot be kexec'd from the {arch} system kernel")
        wanted = IMAGE_FORMAT_FOR_ARCH[arch]
        if image.format.value != wanted:
            what = f"rehearsals of {arch} kernels boot an {wanted}" if image.arch else \
                "rehearsals boot an x86 bzImage or an arm64 Image"
            raise InputError(where, f"{what} (what QEMU's -kernel and kexec both take); "
                             f"this is a {image.format.value}")
    if request.guest_root is not None and not os.path.isdir(request.guest_root):
        raise InputError(request.guest_root, "--guest-root is not a directory")
    if request.capture_initrd is not None:
        read_initrd(request.capture_initrd)
    console = CONSOLE_FOR_ARCH[arch]
    boot, boot_added = boot_line(setup.cmdline.text if setup.cmdline else None, console=console)
    kexec_text = setup.kexec.text
    argv, kernel_path, initrd_path, kexec_added = kexec_argv(kexec_text, boot, setup.kexec_source, console)
    plan = Plan(system_image=request.system_image,
                boot_cmdline=boot, kexec_argv=tuple(argv),
                capture_image=request.capture_image or request.system_image,
                capture_image_path=kernel_path, initrd_path=initrd_path,
                capture_initrd=request.capture_initrd, overlay_probe=request.overlay_probe,
                success_pattern=request.success_pattern, memory_mb=memory_mb, cpus=request.vm_cpus,
                timeout=request.timeout, additions=tuple(boot_added + kexec_added), arch=arch,
                console=console)
    return plan, setup, check_request


def _vm_arch(request: RehearseRequest, setup: Any) -> str:
    """The VM's architecture: the system kernel image's (x86_64 when the image does not say)."""
    image = setup.system.image
    arch = image.arch if image is not None and image.arch else "x86_64"
    if arch not in REHEARSED_ARCHES:
        raise InputError(request.system_image or "--system-image",
                         f"rehearsals run {', '.join(REHEARSED_ARCHES)} kernels; this one is {arch}")
    return arch


def _as_loaded(check_request: Any, plan: Plan, images: Any) -> tuple[Any, Any]:
    """The check set-up for what the VM loads: the kexec command as it runs there, with the
    initrd the VM really loads (the probe or --capture-initrd), so the run-time need is sized
    for it and not for a file named by the command that may not exist here."""
    from kcheck.app.pipeline import read_setup  # lazy: the command's graph

    words = list(plan.kexec_argv)
    for at, word in enumerate(words):
        name, eq, _ = word.partition("=")
        if name in ("--initrd", "--ramdisk"):
            if eq:
                words[at] = f"{name}={images.capture_initrd}"
            elif at + 1 < len(words):
                words[at + 1] = images.capture_initrd
    request = replace(check_request, kexec=shlex.join(words), kexec_file=None)
    return read_setup(request), request


def static_verdict(setup: Any, check_request: Any) -> dict[str, Any]:
    """``kcheck check``'s prediction for the set-up the VM runs."""
    from kcheck.app.pipeline import run_check_on  # lazy: the command's graph
    from kcheck.app.preflight import decide  # lazy: the command's graph

    report = run_check_on(check_request, setup)
    verdict = decide(report.results)
    errors = [f.rule for f in report.findings if f.severity.label == "error"]
    warnings = [f.rule for f in report.findings if f.severity.label == "warning"]
    completeness = getattr(verdict, "completeness", None)
    return {"captures": verdict.captures, "reason": verdict.reason, "rule": verdict.rule,
            "errors": errors, "warnings": warnings,
            "incomplete": None if completeness is None or completeness.complete else completeness.line}


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM ends a rehearsal like Ctrl-C: QEMU killed, scratch removed."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_rehearse(request: RehearseRequest, progress: Callable[[str], None] | None = None) -> RehearsalReport:
    plan, setup, check_request = prepare(request)
    arch = plan.arch
    tools = runner.find_tools(arch, request.qemu, request.accel, request.guest_root, plan.memory_mb)
    log: list[str] | None = [] if request.console_log else None
    with _terminate_as_interrupt(), runner.scratch_dir() as scratch:
        images = runner.build_images(plan, tools, scratch)
        static = None if request.find_min else static_verdict(*_as_loaded(check_request, plan, images))
        find_min = None
        if request.find_min:
            find_min, outcome = find_min_crashkernel(plan, tools, images, setup, progress)
        else:
            outcome = runner.rehearse_once(plan, tools, images, progress=progress, console_log=log)
    if request.console_log and log is not None:
        from kcheck.app.output import write_atomic  # lazy: the command's graph

        write_atomic(request.console_log, "\n".join(log) + "\n", inputs=_inputs(request))
    vm = {"arch": arch, "qemu": tools.qemu, "accel": tools.accel, "memory_mb": plan.memory_mb,
          "cpus": plan.cpus}
    inputs = {"system_image": request.system_image, "capture_image": plan.capture_image,
              "capture_initrd": request.capture_initrd or "kcheck probe",
              "overlay_probe": request.overlay_probe,
              "boot_cmdline": setup.cmdline.text if setup.cmdline else "", "kexec": setup.kexec.text,
              "makedumpfile": tools.makedumpfile.path if tools.makedumpfile else None,
              "guest_root": request.guest_root}
    return RehearsalReport(inputs, vm, plan.kexec_argv, plan.additions, outcome, static, find_min,
                           request.console_log, images.built_seconds)


def _inputs(request: RehearseRequest) -> tuple[str | None, ...]:
    return (request.system_image, request.capture_image, request.capture_initrd, request.cmdline_file,
            request.kexec_file, request.system_config, request.capture_config, *request.rule_files)


def stderr_progress(quiet: bool = False) -> Callable[[str], None] | None:
    if quiet:
        return None

    def say(text: str) -> None:
        sys.stderr.write(f"rehearse: {text}\n")
        sys.stderr.flush()
    return say


def emit(report: RehearsalReport, fmt: str, output: str | None, request: RehearseRequest) -> int:
    text = RENDERERS[fmt](report)
    if output:
        from kcheck.app.output import write_atomic  # lazy: the command's graph

        write_atomic(output, text, inputs=(*_inputs(request), request.console_log))
    else:
        sys.stdout.write(text)
    return report.exit_status


__all__ = ["RehearseRequest", "emit", "os", "prepare", "run_rehearse", "stderr_progress"]
