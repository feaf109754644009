"""Wire readers, facts, rules and the report together for one set-up.

The CLI parses options into :class:`CheckRequest`; this module reads the
inputs, builds the :class:`~kcheck.facts.setup.Setup`, evaluates the rules and
returns a :class:`~kcheck.domain.findings.Report`.  Nothing here prints or exits.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from kcheck.domain import arch as arches
from kcheck.engine.evaluate import evaluate
from kcheck.engine.loader import load_rules
from kcheck.domain.errors import InputError
from kcheck.facts.setup import Kernel, Setup
from kcheck.domain.cmdline import parse_cmdline
from kcheck.inputs.files import decode_text, read_bounded
from kcheck.inputs.kconfig import KernelConfig, read_config
from kcheck.domain.kexec import KexecCommand, check_command_length, parse_kexec
from kcheck.domain.findings import Report, Status
from kcheck.domain.records import field, record, replace
from kcheck.domain.units import parse_number
from kcheck.domain.version import KernelVersion
from kcheck.engine.undecided import NOT_IN_CONFIG_LINT

if TYPE_CHECKING:
    from kcheck.engine.rule import Rule
    from kcheck.inputs.image.model import KernelImage

#: What a --cmdline-file or --kexec-file may hold before it is judged at all:
#: trailing blank lines and a comment block around a 16 KiB command.
CMDLINE_LIMIT = 64 * 1024


@record
class CheckRequest:
    """Everything ``kcheck check`` was asked to look at (paths and texts, not yet read)."""

    system_config: str | None = None
    capture_config: str | None = None
    cmdline: str | None = None
    cmdline_file: str | None = None
    kexec: str | None = None
    kexec_file: str | None = None
    system_image: str | None = None
    capture_image: str | None = None
    memory: str | None = None
    kernel_version: str | None = None
    arch: str | None = None
    rule_files: tuple[str, ...] = field(default=())
    kexec_tools_version: str | None = None
    #: ``kcheck lint-configs``: configs alone, so rules about the boot line and
    #: the kexec command are out of scope there, not undecided.
    config_only: bool = False


class Reader:
    """Reads each input file afresh; a batch passes a :class:`~kcheck.inputs.cache.CachedReader`."""

    def config(self, path: str) -> KernelConfig:
        return read_config(path)

    def image(self, path: str) -> KernelImage:
        return read_image(path)

    def text(self, path: str, what: str) -> str:
        return decode_text(path, read_bounded(path, CMDLINE_LIMIT, what=what), what=what)


def read_setup(request: CheckRequest, reader: Reader | None = None) -> Setup:
    """Read every input named in ``request`` into facts (through ``reader``, if given)."""
    read = reader or Reader()
    version = _option_version(request.kernel_version)
    arch = _option_arch(request.arch)
    system_config = read.config(request.system_config) if request.system_config else None
    capture_config = None
    if request.capture_config:
        same_file = (system_config is not None and request.system_config is not None
                     and os.path.realpath(request.capture_config) == os.path.realpath(request.system_config))
        capture_config = system_config if same_file else read.config(request.capture_config)
    system_image = read.image(request.system_image) if request.system_image else None
    capture_image = read.image(request.capture_image) if request.capture_image else None
    system = _kernel("system", system_config, version, arch, system_image)
    if capture_config is not None:
        capture = _kernel("capture", capture_config, version, arch, capture_image)
    else:  # one kernel serves as both; its image too, unless another is named
        capture = Kernel("capture", system_config, system.version, system.version_source, system.arch,
                         capture_image or system_image, system.arch_source, system.arch_conflict)
    cmdline_text, cmdline_source = _cmdline(request, read)
    return Setup(
        system=system,
        capture=capture,
        same_kernel=capture_config is None,
        cmdline=parse_cmdline(cmdline_text) if cmdline_text is not None else None,
        cmdline_source=cmdline_source,
        kexec=_kexec(request, read),
        kexec_source=request.kexec_file or "--kexec",
        memory=_memory(request.memory),
        kexec_tools_version=_tools_version(request.kexec_tools_version),
    )


def run_check(request: CheckRequest) -> Report:
    return run_check_on(request, read_setup(request))


def check_rules(rule_files: tuple[str, ...], *, host: bool = False) -> list[Rule]:
    """The rules a check evaluates: host rules describe a running machine, which only
    ``kcheck preflight`` has."""
    return [r for r in load_rules(rule_files) if r.concerns != "host" or host]


def run_check_on(request: CheckRequest, setup: Setup, rules: list[Rule] | None = None) -> Report:
    """Evaluate the rules (loaded here unless a batch passes its own) on an already read set-up."""
    if rules is None or setup.host is not None:
        rules = check_rules(request.rule_files, host=setup.host is not None)
    results = tuple(evaluate(rules, setup))
    if request.config_only:
        results = tuple(replace(r, undecided=None) if r.undecided in NOT_IN_CONFIG_LINT else r for r in results)
    memory_map = setup.memory_map if setup.cmdline is not None else None
    return Report(inputs=describe_inputs(setup, request), results=results,
                  notes=tuple(_notes(setup, results)), rules=tuple(r.info() for r in rules),
                  memory_map=memory_map.as_dict() if memory_map else None)


def read_image(path: str) -> KernelImage:
    from kcheck.inputs.image import read_image as read  # lazy: the image reader: only when an image is read

    return read(path)


def _kernel(role: str, config: KernelConfig | None, version: KernelVersion | None,
            arch: str | None, image: KernelImage | None = None) -> Kernel:
    """Version and arch: the option wins, then the config, then the image."""
    version_source = "--kernel-version" if version else None
    if version is None and config is not None and config.header_version is not None:
        version, version_source = config.header_version, "config header"
    if version is None and image is not None and image.release:
        version = KernelVersion.parse(image.release)
        version_source = "image" if version else None
    arch_found, arch_source, conflict = kernel_arch(config, version, arch)
    if arch_found is None and image is not None and image.arch:
        arch_found, arch_source = image.arch, "image"
    return Kernel(role, config, version, version_source, arch_found, image, arch_source, conflict)


def kernel_arch(config: KernelConfig | None, version: KernelVersion | None,
                option: str | None = None) -> tuple[str | None, str | None, str | None]:
    """The architecture of a kernel from ``--arch``, its config's symbols, the image the config
    came from and its header (kcheck.domain.arch.detect), with any disagreement."""
    if config is None:
        return option, "--arch" if option else None, None
    before = version is not None and version < KernelVersion((2, 6, 24, 0))
    return arches.detect(option, config.get, config.header_arch, config.container_arch,
                         config.container or "image", before_2_6_24=before)


def _option_version(text: str | None) -> KernelVersion | None:
    if text is None:
        return None
    version = KernelVersion.parse(text)
    if version is None:
        raise InputError("--kernel-version", f"{text!r} is not a kernel version such as 2.6.13 or 6.1")
    return version


def _option_arch(text: str | None) -> str | None:
    if text is None:
        return None
    name = arches.canonical(text)
    if name is None:
        raise InputError("--arch", f"unknown architecture {text!r} (one of {', '.join(arches.ARCHES)})")
    return name


def _text_option(text: str | None, path: str | None, option: str, what: str,
                 read: Reader) -> tuple[str | None, str | None]:
    """An input given as ``--X TEXT`` or ``--X-file PATH``: its text and where it came from."""
    if text is not None and path is not None:
        raise InputError(f"{option}-file", f"give either {option} or {option}-file, not both")
    if path is not None:
        text = read.text(path, what).strip()
    if text is not None:
        check_command_length(text, path or option, what)
    return text, path if path is not None else None if text is None else option


def _cmdline(request: CheckRequest, read: Reader) -> tuple[str | None, str | None]:
    text, source = _text_option(request.cmdline, request.cmdline_file, "--cmdline", "kernel command line", read)
    return text, source if request.cmdline_file else None


def _kexec(request: CheckRequest, read: Reader) -> KexecCommand | None:
    text, source = _text_option(request.kexec, request.kexec_file, "--kexec", "kexec command", read)
    return parse_kexec(text, source=source or "--kexec") if text is not None else None


def _tools_version(text: str | None) -> str | None:
    if text is None:
        return None
    if KernelVersion.parse(text) is None:
        raise InputError("--kexec-tools-version", f"{text!r} is not a kexec-tools version such as 2.0.25")
    return text.strip()


def _memory(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = parse_number(text)
    except ValueError:
        raise InputError("--memory", f"{text!r} is not a size such as 4G or 2048M") from None
    if value <= 0:
        raise InputError("--memory", "must be more than zero")
    return value


def describe_inputs(setup: Setup, request: CheckRequest) -> dict[str, Any]:
    """The JSON report's ``inputs``: what was read and what was detected."""
    def kernel(k: Kernel, path: str | None) -> dict[str, Any]:
        return {
            "config": path,
            "version": str(k.version) if k.version else None,
            "version_source": k.version_source,
            "arch": k.arch,
            "arch_source": k.arch_source,
            "warnings": list(k.config.warnings) if k.config and path else [],
            "image": _image_summary(k),
        }

    return {
        "system": kernel(setup.system, request.system_config),
        "capture": kernel(setup.capture, request.capture_config or request.system_config),
        "same_kernel": setup.same_kernel,
        "cmdline": setup.cmdline.text if setup.cmdline else None,
        "kexec": setup.kexec.text if setup.kexec else None,
        "kexec_source": request.kexec_file or ("--kexec" if request.kexec is not None else None),
        "memory": setup.memory,
        "kexec_tools_version": setup.kexec_tools_version,
    }


def _image_summary(kernel: Kernel) -> dict[str, Any] | None:
    image = kernel.image
    if image is None:
        return None
    return {"path": image.path, "format": str(image.format), "arch": image.arch,
            "release": image.release, "size": image.size}


def _notes(setup: Setup, results: tuple[Any, ...]) -> list[str]:
    notes: list[str] = []
    for kernel in (setup.system, setup.capture):
        if kernel.role == "capture" and setup.same_kernel:
            continue
        if kernel.config is not None and kernel.version is None:
            skipped = sum(1 for r in results if r.status is Status.SKIP
                          and "version unknown" in r.reason and r.reason.startswith(kernel.role))
            notes.append(f"{kernel.role} kernel version unknown (no version in the config header; "
                         f"give --kernel-version): {skipped} version-specific rules skipped")
        if kernel.config is not None and kernel.arch is None:
            notes.append(f"{kernel.role} kernel architecture unknown; give --arch")
        if kernel.config is not None:
            notes.extend(f"{kernel.config.path}: {w}" for w in kernel.config.warnings)
    if setup.same_kernel and setup.system.config is not None:
        notes.append("no --capture-config: the system kernel is also the capture kernel")
    return notes
