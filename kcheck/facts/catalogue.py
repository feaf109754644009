"""Every fact a rule may name, registered once: its path, type and one line of doc.

Rules see nothing but these paths.  Each entry also says how the value is
computed from a :class:`~kcheck.facts.setup.Setup`, so this table is at once
the lookup (no chains of ``if`` over path strings), the unknown-path check of
the rule loader and ``kcheck facts``.  A path written with ``<NAME>`` stands
for a family: ``system.config.<SYMBOL>`` is every config symbol.

Adding a fact: one ``_fact(...)`` line here (a host fact: a ``host.*`` key of
:meth:`kcheck.inputs.host.HostFacts.facts` and its line in :data:`HOST`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from kcheck.domain.kexec import default_syscall, knows_hotplug
from kcheck.domain.records import record
from kcheck.facts import image as image_facts
from kcheck.facts.protocol import MissingInput

#: A getter: (the set-up, the ``<NAME>`` part of the path or "") -> the value.
Getter = Callable[[Any, str], Any]


@record
class Fact:
    """One fact path (or family of paths) and what a rule may expect of its value."""

    path: str
    type: str
    doc: str
    get: Getter

    @property
    def input(self) -> str:
        """The input the fact comes from: system, capture, boot, kexec, setup or host."""
        return self.path.split(".", 1)[0]


def _fact(path: str, kind: str, doc: str, get: Getter) -> tuple[str, str, str, Getter]:
    return path, kind, doc, get


# --- the system and the capture kernel ------------------------------------------------------

def _config(role: str) -> Getter:
    def get(setup: Any, symbol: str) -> Any:
        config = getattr(setup, role).config
        if config is None:
            raise MissingInput(f"--{role}-config")
        return config.get(symbol)
    return get


def _kernel(role: str, attribute: str) -> Getter:
    return lambda setup, _: getattr(getattr(setup, role), attribute)


def _image(role: str, compute: Callable[[Any, Any], Any]) -> Getter:
    def get(setup: Any, _: str) -> Any:
        kernel = getattr(setup, role)
        if kernel.image is None:
            raise MissingInput(f"--{role}-image")
        return compute(kernel.image, kernel)
    return get


def _span(index: int) -> Callable[[Any, Any], Any]:
    return lambda image, _: span[index] if (span := image_facts.load_range(image)) else None


#: (name, type, doc, compute(image, kernel)) of ``<kernel>.image.<name>``: what the image file says.
IMAGE: tuple[tuple[str, str, str, Callable[[Any, Any], Any]], ...] = (
    ("format", "str", "the image's format: vmlinux (ELF), bzImage, Image, ...",
     lambda image, _: str(image.format)),
    ("arch", "str|None", "the architecture the image is built for", lambda image, _: image.arch),
    ("arch_matches", "bool|None", "the image's architecture is the config's (None: the image does not say)",
     lambda image, kernel: image_facts.arch_matches(image, kernel.arch)),
    ("release", "str|None", "the release string in the image (6.1.0-56-amd64)", lambda image, _: image.release),
    ("version_matches", "bool|None", "the image's release is the config's version",
     lambda image, kernel: image_facts.version_matches(image, kernel.version)),
    ("relocatable", "bool|None", "kexec may relocate the bzImage: boot protocol >= 2.05 and relocatable_kernel",
     lambda image, _: image_facts.relocatable(image)),
    ("protocol", "int|None", "the x86 boot protocol version of a bzImage (0x020f)",
     lambda image, _: image.setup_header.version if image.setup_header else None),
    ("kernel64", "bool|None", "a bzImage with a 64-bit entry point (XLF_KERNEL_64)",
     lambda image, _: image_facts.xloadflag(image, image_facts.XLF_KERNEL_64)),
    ("above_4g", "bool|None", "a bzImage that may be loaded above 4 GiB (XLF_CAN_BE_LOADED_ABOVE_4G)",
     lambda image, _: image_facts.xloadflag(image, image_facts.XLF_CAN_BE_LOADED_ABOVE_4G)),
    ("footprint", "bytes|None", "memory the kernel needs where it is loaded: bzImage init_size, or the PT_LOAD span",
     lambda image, _: image_facts.footprint(image)),
    ("load_start", "address|None", "lowest physical address of a vmlinux's PT_LOAD segments", _span(0)),
    ("load_end", "address|None", "end of a vmlinux's PT_LOAD segments", _span(1)),
    ("debug_info", "bool|None", "the ELF image carries DWARF debug info",
     lambda image, _: image.elf.has_debug_info if image.elf else None),
    ("path", "str", "the image file as given", lambda image, _: image.path),
)


def _kernel_facts(role: str) -> tuple[tuple[str, str, str, Getter], ...]:
    what = f"the {role} kernel"
    return (
        _fact(f"{role}.config.<SYMBOL>", "str|None",
             f"CONFIG_<SYMBOL> of {what} as written: y, m, a number or a string; None when not set",
             _config(role)),
        _fact(f"{role}.version", "str|None", f"{what}'s version (config header, image, or --kernel-version)",
             lambda setup, _: str(v) if (v := getattr(setup, role).version) else None),
        _fact(f"{role}.arch", "str|None", f"{what}'s architecture (i386, x86_64, arm64, ...)",
             _kernel(role, "arch")),
        _fact(f"{role}.arch_conflict", "str|None",
              f"how the sources of {what}'s architecture disagree (config symbols, image, header), if they do",
              _kernel(role, "arch_conflict")),
        _fact(f"{role}.arch_kdump", "bool|None",
              f"{what}'s architecture can take kdump dumps in its series (its Kconfig offers CRASH_DUMP)",
              _kernel(role, "kdump_arch")),
        _fact(f"{role}.pae", "bool|None", f"an i386 {role} kernel uses PAE (X86_PAE or HIGHMEM64G); None elsewhere",
             _kernel(role, "pae")),
        _fact(f"{role}.load_address", "address|None",
             f"where an x86 {role} kernel runs unrelocated: PHYSICAL_START aligned up to PHYSICAL_ALIGN",
             _kernel(role, "load_address")),
    ) + tuple(_fact(f"{role}.image.{name}", kind, doc, _image(role, compute)) for name, kind, doc, compute in IMAGE)


# --- the boot command line -------------------------------------------------------------------

def _boot(setup: Any) -> Any:
    if setup.cmdline is None:
        raise MissingInput("--cmdline")
    return setup.cmdline


def _param(cmdline: Any, name: str) -> Any:
    """A parameter's value, ``True`` for a bare one, ``None`` when absent."""
    if not cmdline.has(name):
        return None
    value = cmdline.get(name)
    return True if value is None else value


def _crashkernel(name: str) -> Getter:
    def get(setup: Any, _: str) -> Any:
        _boot(setup)
        facts = setup.crashkernel_facts
        if name not in facts and facts.get("needs_memory"):
            raise MissingInput("--memory (crashkernel= uses ranges)")
        return facts.get(name)
    return get


#: (name, type, doc) of ``boot.crashkernel.<name>``: what the system kernel reserves.
CRASHKERNEL = (
    ("present", "bool", "the boot line has a crashkernel= the kernel's search finds"),
    ("count", "int", "how many crashkernel= the kernel's search finds"),
    ("raw", "str|None", "the crashkernel= value the kernel uses"),
    ("reserves", "bool|None", "the system kernel reserves a crash region"),
    ("needs_memory", "bool|None", "the reservation depends on the RAM size (ranges, RHEL's auto)"),
    ("repeated", "bool|None", "more than one plain crashkernel= (the last wins)"),
    ("embedded", "str|None", "the parameter a crashkernel= was found inside ('--': after --)"),
    ("cma_size", "bytes|None", "the ,cma part of the reservation"),
    ("alignment", "bytes|None", "the alignment the kernel requires of an @offset"),
    ("size", "bytes|None", "size of the crash region reserved"),
    ("offset", "address|None", "start of the crash region, when fixed by @offset"),
    ("end", "address|None", "end of the crash region (offset + size)"),
    ("problem", "str|None", "why the kernel reserves nothing or less than asked, if it does"),
)

BOOT = (
    _fact("boot.param.<name>", "str|bool|None",
         "a boot parameter's value, True when bare, None when absent (names may contain dots)",
         lambda setup, name: _param(_boot(setup), name)),
    _fact("boot.kaslr", "bool|None", "the system kernel randomises its load address (RANDOMIZE_BASE, no nokaslr)",
         lambda setup, _: (_boot(setup), setup.kaslr)[1]),
    _fact("boot.crashkernel.advised", "bytes",
         "the crashkernel= size kcheck's fixes write: the current size when big enough, else 256M or what kexec needs",
         lambda setup, _: (_boot(setup), setup.crashkernel_advised)[1]),
) + tuple(_fact(f"boot.crashkernel.{name}", kind, doc, _crashkernel(name)) for name, kind, doc in CRASHKERNEL)


# --- the kexec command -----------------------------------------------------------------------

def _kexec(setup: Any) -> Any:
    if setup.kexec is None:
        raise MissingInput("--kexec")
    return setup.kexec


def _attr(name: str) -> Getter:
    return lambda setup, _: getattr(_kexec(setup), name)


def _image_matches(setup: Any, _: str) -> bool | None:
    kexec, image = _kexec(setup), setup.capture.image
    if image is None or not kexec.kernel_path:
        return None
    return os.path.basename(kexec.kernel_path) == os.path.basename(image.path)


def _load_needed(setup: Any, _: str) -> int | None:
    _kexec(setup)
    plan = setup.memory_map
    return plan.needed if plan is not None else None


def _run(name: str) -> Getter:
    def get(setup: Any, _: str) -> Any:
        _kexec(setup)
        from kcheck.facts.capture_memory import judged_run_fact  # lazy: the model is read with an image only

        return judged_run_fact(setup, name)
    return get


def _root(name: str) -> Getter:
    def get(setup: Any, _: str) -> Any:
        from kcheck.facts.root import root_fact  # lazy: the root device tables load only for root rules

        _kexec(setup)
        return root_fact(setup, name)
    return get


#: (name, type, doc) of ``kexec.root.<name>``: the capture kernel's root device (its root=).
ROOT = (
    ("device", "str|None", "the capture kernel's root= as written"),
    ("kind", "str|None", "the kind of device it names: sd disk, UUID, LABEL, nfs, md, lvm, ..."),
    ("what", "str|None", "that device in words"),
    ("needs_initrd", "str|None", "why only an initrd can find the device (UUID=, LABEL=, LVM, ...); None: the kernel can"),
    ("missing", "str|None", "the drivers the capture kernel lacks to reach its root device"),
    ("fstype", "str|None", "the capture kernel's rootfstype= as written"),
    ("fs_missing", "str|None", "the file system driver the capture kernel lacks for rootfstype="),
)


def _append(setup: Any) -> Any:
    _kexec(setup)
    return setup.capture_cmdline


KEXEC = (
    _fact("kexec.option.<name>", "bool", "the kexec command has option --<name> (any spelling of it)",
         lambda setup, name: _kexec(setup).has(name)),
    _fact("kexec.panic", "bool", "the command loads a panic (capture) kernel: -p / --load-panic", _attr("panic")),
    _fact("kexec.action", "str|None", "what the command does: load-panic, load, exec, unload, ...", _attr("action")),
    _fact("kexec.file_syscall", "bool", "the last syscall choice is -s (kexec_file_load)", _attr("file_syscall")),
    _fact("kexec.syscall", "str|None", "the syscall asked for: kexec_file_load (-s), kexec_load (-c), auto (-a); None: none",
          _attr("syscall")),
    _fact("kexec.default_syscall", "str|None",
          "what the kexec-tools release calls without -s/-c/-a: kexec_load before 2.0.27, auto since",
          lambda setup, _: (_kexec(setup), default_syscall(setup.kexec_tools_version))[1]),
    _fact("kexec.tools_hotplug", "bool|None", "the kexec-tools release has --hotplug (2.0.28 and later); None: unknown",
          lambda setup, _: (_kexec(setup), knows_hotplug(setup.kexec_tools_version))[1]),
    _fact("kexec.tools_version", "str|None", "the kexec-tools release (--kexec-tools-version, or the host's package)",
          lambda setup, _: setup.kexec_tools_version),
    _fact("kexec.kernel_path", "str|None", "the kernel image the command loads", _attr("kernel_path")),
    _fact("kexec.initrd", "str|None", "the --initrd the command loads", _attr("initrd")),
    _fact("kexec.type", "str|None", "the --type of the image (bzImage, elf-x86_64, ...)", _attr("kexec_type")),
    _fact("kexec.unknown", "str|None", "options kexec-tools does not know (it refuses to run), comma-separated",
         lambda setup, _: ", ".join(_kexec(setup).unknown) or None),
    _fact("kexec.image_matches", "bool|None", "the loaded kernel is the --capture-image given (same file name)",
         _image_matches),
    _fact("kexec.load_needed", "bytes|None", "memory kexec needs in the crash region: kernel, initrd, purgatory",
         _load_needed),
    _fact("kexec.run_needed", "bytes", "memory the capture kernel needs to run (the calibrated capture-memory model)",
          _run("run_needed")),
    _fact("kexec.run_comfortable", "bytes", "kexec.run_needed with the model's margin", _run("run_comfortable")),
    _fact("kexec.run_detail", "str", "kexec.run_needed spelt out", _run("run_detail")),
    _fact("kexec.run_working_set", "str", "which measured working set (arch, kind of capture initrd) "
          "kexec.run_needed and kexec.run_comfortable count, and why", _run("run_working_set")),
) + tuple(_fact(f"kexec.root.{name}", kind, doc, _root(name)) for name, kind, doc in ROOT) + (
    _fact("kexec.append.text", "str|None", "the capture kernel's command line, as kexec-tools builds it",
         lambda setup, _: c.text if (c := _append(setup)) else None),
    _fact("kexec.append.length", "int", "length of the capture kernel's command line",
         lambda setup, _: len(c.text) if (c := _append(setup)) else 0),
    _fact("kexec.append.param.<name>", "str|bool|None", "a parameter of the capture kernel's command line",
         lambda setup, name: _param(c, name) if (c := _append(setup)) else None),
)

SETUP = (
    _fact("setup.same_kernel", "bool", "the capture kernel is the system kernel (no --capture-config)",
         lambda setup, _: setup.same_kernel),
    _fact("setup.memory", "bytes|None", "the machine's RAM (--memory)", lambda setup, _: setup.memory),
)


# --- a live host (kcheck preflight) ----------------------------------------------------------

def _host(name: str) -> Getter:
    return lambda setup, _: setup.host_fact(name)


#: (name, type, doc) of ``host.<name>``, read by :mod:`kcheck.inputs.host`.
HOST = (
    ("release", "str|None", "the running kernel's release (/proc/sys/kernel/osrelease)"),
    ("kexec.supported", "bool", "the running kernel has kexec crash support (/sys/kernel/kexec_crash_loaded exists)"),
    ("kexec.loaded", "int", "a capture kernel is loaded now (/sys/kernel/kexec_crash_loaded)"),
    ("iomem.readable", "bool", "/proc/iomem shows addresses (read as root)"),
    ("memory", "bytes", "System RAM in /proc/iomem"),
    ("crash.size", "bytes", "size of the crash region kexec loads into (iomem, else kexec_crash_size)"),
    ("crash.start", "address|None", "start of that crash region"),
    ("crash.end", "address|None", "end of that crash region (inclusive)"),
    ("crash.regions", "int", "how many \"Crash kernel\" regions /proc/iomem lists (two with ,high)"),
    ("secure_boot", "bool", "UEFI Secure Boot is on (SecureBoot=1, SetupMode=0), or s390x secure IPL"),
    ("service.name", "str|None", "the kdump service found: kdump-tools, kdump-utils (kdumpctl), SUSE kdump"),
    ("service.settings", "str|None", "the settings file the service reads"),
    ("service.enabled", "bool", "the service's own switch is on (USE_KDUMP=1, ...)"),
    ("service.disabled_reason", "str|None", "why the service's switch is off"),
    ("service.boot_enabled", "bool", "systemd starts the service at boot"),
    ("service.config_error", "str|None", "what is wrong with the service's settings, if anything"),
    ("capture.kernel", "str|None", "the capture kernel the service loads"),
    ("capture.kernel_exists", "bool", "that kernel file exists"),
    ("capture.kernel_problem", "str|None", "why the service's capture kernel cannot be known, if it cannot"),
    ("capture.kernel_is_image", "bool|None", "that file is a kernel image (its bytes say so)"),
    ("capture.image_problem", "str|None", "why that file is no kernel image"),
    ("capture.initrd", "str|None", "the capture initrd the service loads"),
    ("capture.initrd_exists", "bool", "that initrd exists"),
    ("capture.initrd_rebuilt", "bool", "the service builds its own initrd when it starts (kdumpctl)"),
    ("capture.file_syscall", "bool", "the service loads with kexec_file_load"),
    ("capture.image_size", "bytes", "memory the capture kernel needs: bzImage init_size, ELF PT_LOAD, or file size"),
    ("capture.image_how", "str|None", "where capture.image_size comes from: init_size, image_size (arm64), PT_LOAD, file size"),
    ("capture.initrd_size", "bytes|None", "size of the capture initrd"),
    ("capture.load_size", "bytes", "memory kexec needs in the region: kernel + initrd + 1M, page-aligned"),
    ("capture.load_detail", "str|None", "capture.load_size spelt out"),
    ("capture.run_size", "bytes", "memory the capture kernel needs to run (the rehearsal-calibrated model)"),
    ("capture.run_detail", "str|None", "capture.run_size spelt out: kernel, initrd packed and unpacked, base"),
    ("capture.run_working_set", "str|None", "which measured working set capture.run_size counts (the service's kind)"),
    ("vmcoreinfo", "bool", "/sys/kernel/vmcoreinfo exists: the running kernel exports VMCOREINFO"),
    ("dm_crypt.keys", "int|None", "LUKS volume keys registered for the capture kernel "
     "(/sys/kernel/config/crash_dm_crypt_keys/count; None: no such directory)"),
    ("dump.collector", "str|None", "the command the service writes the dump with (MAKEDUMP_ARGS, core_collector)"),
    ("dump.level", "int|None", "its makedumpfile -d level (0: every page; None: not makedumpfile or cp)"),
    ("dump.keeps_user_pages", "bool|None", "that level keeps user pages (bit 8 of -d clear)"),
    ("tools.makedumpfile", "str|None", "the installed makedumpfile release (package database)"),
    ("tools.makedumpfile_newest", "str|None", "the newest kernel that release supports (its LATEST_VERSION)"),
    ("tools.makedumpfile_source", "str|None", "where kcheck's table says so (makedumpfile.h at the release commit)"),
    ("tools.makedumpfile_knows_kernel", "bool|None", "that release supports the running kernel's series"),
    ("tools.makedumpfile_needed", "str|None", "the makedumpfile release the running kernel needs"),
    ("tools.makedumpfile_judged", "bool", "kcheck's table can tell whether that release supports the running kernel"),
    ("tools.crash", "str|None", "the installed crash release (package database)"),
    ("tools.crash_newest", "str|None", "the newest kernel series that release's notes name a fix for"),
    ("tools.crash_source", "str|None", "the release-note commit that names it"),
    ("tools.crash_knows_kernel", "bool|None", "that release's notes reach the running kernel's series"),
    ("tools.crash_needed", "str|None", "the crash release whose notes reach the running kernel's series"),
    ("tools.crash_judged", "bool", "kcheck's table can tell whether that release's notes reach the running kernel"),
    ("tools.crash_reads_compressed", "bool|None", "that crash's gdb reads compressed debug sections (9.0.0+)"),
)


#: Every fact as (path, type, doc, get), in the order ``kcheck facts`` lists them.  Plain
#: tuples: building ~100 records on every start cost more than the lookups they serve; the
#: :class:`Fact` records of :data:`CATALOGUE` are made only when something lists them.
_TABLE: tuple[tuple[str, str, str, Getter], ...] = (
    _kernel_facts("system") + _kernel_facts("capture") + BOOT + KEXEC + SETUP
    + tuple(_fact(f"host.{name}", kind, doc, _host(name)) for name, kind, doc in HOST)
)

_EXACT: dict[str, Getter] = {path: get for path, _, _, get in _TABLE if "<" not in path}
#: prefix -> (getter, whether the name may contain dots: parameters may, symbols and options may not)
_FAMILIES: tuple[tuple[str, Getter, bool], ...] = tuple(
    (path[: path.index("<")], get, path.endswith(".<name>") and ".param." in path)
    for path, _, _, get in _TABLE if "<" in path)


def __getattr__(name: str) -> Any:
    """``CATALOGUE``: every fact as a :class:`Fact`, made on first use (PEP 562)."""
    if name == "CATALOGUE":
        catalogue = tuple(Fact(*entry) for entry in _TABLE)
        globals()["CATALOGUE"] = catalogue
        return catalogue
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve(path: str) -> tuple[Getter, str]:
    """How to compute the fact a path names, and its ``<NAME>`` part; ``KeyError`` for a path no fact has."""
    get = _EXACT.get(path)
    if get is not None:
        return get, ""
    for prefix, get, dotted in _FAMILIES:
        if path.startswith(prefix):
            name = path[len(prefix):]
            if name and (dotted or "." not in name) and not name.startswith(".") and not name.endswith("."):
                return get, name
    raise KeyError(path)


def known(path: str) -> bool:
    """Whether a rule may name ``path``."""
    try:
        resolve(path)
    except KeyError:
        return False
    return True
