"""Collect the kdump facts of a running host, or of a tree captured from one.

Read under ROOT (see :mod:`kcheck.inputs.hostfs`): ``/proc/cmdline``,
``/proc/iomem`` (System RAM and the "Crash kernel" regions actually
reserved), ``/sys/kernel/kexec_crash_loaded`` and ``kexec_crash_size``, the
running release from ``/proc/sys/kernel/osrelease`` and its config, Secure
Boot state, and the kdump service's settings (:mod:`kdump_service`), from
which the capture kernel, initrd, command line and kexec command follow.

Every value that cannot be known (iomem read without root, a file the tree
lacks) is an :class:`Unknowable` with the reason, so a rule that needs it is
skipped with that reason instead of guessing.
"""

from __future__ import annotations

import os
import re
from typing import Any

from kcheck.domain import arch as arches
from kcheck.domain.capture_memory import NotMeasured, run_need
from kcheck.domain.initrd_kind import SERVICE_KINDS
from kcheck.domain.errors import InputError, KcheckError
from kcheck.domain.records import field, record
from kcheck.inputs.hostfs import HostRoot
from kcheck.inputs.imagesize import HEAD_SIZE, ImageMemory, image_memory
from kcheck.inputs.iomem import Iomem, parse_iomem
from kcheck.inputs.kconfig import KernelConfig, read_config
from kcheck.inputs.kdump_service import KdumpService, detect_service
from kcheck.domain.memory import INITRD_FACTOR, MiB, load_size
from kcheck.inputs.packages import installed_versions
from kcheck.inputs.dump_tools import dump_tool_facts
from kcheck.domain.dump_tools import DUMP_LEVEL_USER, dump_level
from kcheck.domain.memparse import format_size


CMDLINE = "/proc/cmdline"
IOMEM = "/proc/iomem"
CRASH_LOADED = "/sys/kernel/kexec_crash_loaded"
CRASH_SIZE = "/sys/kernel/kexec_crash_size"
VMCOREINFO = "/sys/kernel/vmcoreinfo"
DM_CRYPT_COUNT = "/sys/kernel/config/crash_dm_crypt_keys/count"
OSRELEASE = "/proc/sys/kernel/osrelease"
EFIVARS = "/sys/firmware/efi/efivars"
SMALL = 64 * 1024
IOMEM_LIMIT = 1 * MiB  # a large server's listing is under 200 KB


@record
class Unknowable:
    """A fact the tree cannot tell, and why."""

    reason: str


@record
class CrashRegion:
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@record
class HostFacts:
    """What the host says about its kdump set-up, read once."""

    root: HostRoot
    release: str | None
    cmdline: str
    iomem: Iomem | None
    kexec_crash_loaded: int | None
    kexec_crash_size: int | None
    config: str | None  # host path of the running kernel's config
    config_data: KernelConfig | None
    secure_boot: bool
    service: KdumpService | None
    capture_kernel: str | None  # the capture kernel with links followed (/boot/vmlinuz-...)
    capture_release: str | None
    capture_config: str | None
    image: ImageMemory | None
    initrd_size: int | None
    notes: tuple[str, ...] = field(default=())
    initrd_unpacked: int | None = None  # read from the initrd's archives; None when it is not one
    image_problem: str | None = None  # why the capture kernel file is not a kernel image
    image_unreadable: str | None = None  # why the capture kernel file could not be read (mode 0600)
    #: The installed kexec-tools release and the database it was read from.
    kexec_tools: tuple[str, str] | None = None
    #: The installed makedumpfile and crash releases (same form), and /sys/kernel/vmcoreinfo.
    makedumpfile: tuple[str, str] | None = None
    crash: tuple[str, str] | None = None
    vmcoreinfo: bool = False
    #: Keys the kdump service registered for a LUKS dump target (/sys/kernel/config/crash_dm_crypt_keys/count).
    dm_crypt_keys: int | None = None

    @property
    def arch(self) -> str | None:
        """The running kernel's architecture: its config's symbols, else the release's suffix."""
        data = self.config_data
        found = arches.from_config(data.get, data.header_arch) if data is not None else None
        if found is None and self.release:
            found = arches.canonical(self.release.replace(".", "-").rsplit("-", 1)[-1])
        return found

    @property
    def iomem_readable(self) -> bool:
        return self.iomem is not None and not self.iomem.zeroed

    @property
    def memory(self) -> int | None:
        return self.iomem.system_ram if self.iomem_readable and self.iomem else None

    @property
    def crash_regions(self) -> tuple[CrashRegion, ...]:
        if not self.iomem_readable or self.iomem is None or self.iomem.crash_problem:
            return ()
        return tuple(CrashRegion(r.start, r.end) for r in self.iomem.crash_regions)

    def _crash_unknown(self) -> bool:
        """The listing is readable but its crash regions are impossible (see iomem.crash_problem)."""
        return self.iomem_readable and self.iomem is not None and self.iomem.crash_problem is not None

    def _crash_size(self) -> int | Unknowable:
        if self._crash_unknown() and self.iomem is not None:
            return Unknowable(f"{self.root.show(IOMEM)}: {self.iomem.crash_problem}")
        if self.iomem_readable:
            regions = self.crash_regions
            return regions[-1].size if regions else 0
        if self.kexec_crash_size is not None:
            return self.kexec_crash_size
        return Unknowable(f"{self.root.show(IOMEM)} is unreadable without root and "
                          f"{self.root.show(CRASH_SIZE)} is missing")

    def facts(self) -> dict[str, Any]:
        """Every ``host.*`` fact by path (without the ``host.`` prefix)."""
        not_root = Unknowable(f"{self.root.show(IOMEM)} shows no addresses; run as root")
        regions = self.crash_regions
        main = regions[-1] if regions else None
        service = self.service
        no_service = Unknowable("no kdump service configuration found")
        loaded: Any = self.kexec_crash_loaded
        if loaded is None:
            loaded = Unknowable(f"{self.root.show(CRASH_LOADED)} is missing")
        table: dict[str, Any] = {
            "release": self.release,
            "kexec.supported": self.kexec_crash_loaded is not None,
            "kexec.loaded": loaded,
            "iomem.readable": self.iomem_readable,
            "memory": self.memory if self.iomem_readable else not_root,
            "crash.size": self._crash_size(),
            "crash.start": main.start if main else None,
            "crash.end": main.end if main else None,
            "crash.regions": self._crash_size() if self._crash_unknown() else
                             len(regions) if self.iomem_readable else not_root,
            "secure_boot": self.secure_boot,
            "service.name": service.name if service else None,
            "service.settings": self.root.show(service.settings) if service and service.settings else None,
            "service.enabled": service.enabled if service else no_service,
            "service.disabled_reason": service.disabled_reason if service else None,
            "service.boot_enabled": _boot_enabled(service),
            "service.config_error": service.config_error if service else None,
            "capture.kernel": service.kernel if service else None,
            "capture.kernel_exists": bool(service and service.kernel and
                                          self.root.is_file(service.kernel)),
            "capture.kernel_problem": service.kernel_problem if service else None,
            "capture.kernel_is_image": (Unknowable(self.image_unreadable) if self.image_unreadable else
                                        None if self.image is None else self.image_problem is None),
            "capture.image_problem": self.image_problem,
            "capture.initrd": service.initrd if service else None,
            "capture.initrd_exists": bool(service and service.initrd and
                                          self.root.is_file(service.initrd)),
            "capture.initrd_rebuilt": bool(service and service.initrd_rebuilt),
            "capture.file_syscall": service.file_syscall if service else no_service,
        }
        table.update(self._sizes())
        table.update(dump_tool_facts(self.release, self.makedumpfile, self.crash, Unknowable))
        table["vmcoreinfo"] = self.vmcoreinfo
        table["dm_crypt.keys"] = self.dm_crypt_keys
        collector = service.collector if service else None
        level = dump_level(collector) if collector else None
        table["dump.collector"] = collector
        table["dump.level"] = level
        table["dump.keeps_user_pages"] = None if level is None else not level & DUMP_LEVEL_USER
        return table

    def _sizes(self) -> dict[str, Any]:
        """Image, initrd and the memory they need in the crash region."""
        if self.image is None:
            missing = Unknowable(self.image_unreadable or "the capture kernel image is not known")
            return {"capture.image_size": missing, "capture.image_how": None,
                    "capture.initrd_size": self.initrd_size, "capture.load_size": missing,
                    "capture.load_detail": None, "capture.run_size": missing, "capture.run_detail": None,
                    "capture.run_working_set": None}
        initrd = self.initrd_size or 0
        load = load_size(self.image.size, initrd)
        run, run_detail, working_set = self._run_need(initrd)
        initrd_part = (f"{format_size(initrd)} initrd" if self.initrd_size is not None
                       else "an initrd not built yet (counted as 0)")
        detail = (f"{format_size(self.image.size)} for {self.capture_kernel} ({self.image.how}) "
                  f"+ {initrd_part} + 1M for purgatory and headers")
        return {"capture.image_size": self.image.size, "capture.image_how": self.image.how,
                "capture.initrd_size": self.initrd_size, "capture.load_size": load,
                "capture.load_detail": detail, "capture.run_size": run, "capture.run_detail": run_detail,
                "capture.run_working_set": working_set}

    def _run_need(self, initrd: int) -> tuple[int | Unknowable, str | None, str | None]:
        """What the capture kernel needs to run (the rehearsal-calibrated model), its terms and working
        set: the service's kind (kcheck.domain.initrd_kind.SERVICE_KINDS), the running kernel's arch."""
        from kcheck.inputs.calibration import capture_memory_model  # lazy: tomllib, only for the run-time need

        assert self.image is not None
        unpacked = self.initrd_unpacked
        guessed = unpacked is None and initrd > 0
        if unpacked is None:
            unpacked = INITRD_FACTOR * initrd     # kdumpctl's ratio, when the initrd cannot be read
        name, arch = (self.service.name if self.service else None), self.arch
        kind = SERVICE_KINDS.get(name or "", "unknown")
        if arch is None:
            return Unknowable("the running kernel's architecture is unknown (no config, no release suffix)"), None, None
        try:
            need = run_need(capture_memory_model(), arch=arch, kind=kind, kernel=self.image.size,
                            initrd_file=initrd, initrd_unpacked=unpacked,
                            kind_why=f"{name} service" if name else "no kdump service")
        except NotMeasured as exc:
            return Unknowable(str(exc)), None, None
        detail = need.describe()
        if guessed:
            detail += "; the initrd could not be read, so its unpacked size is taken as 3 x its file"
        return need.minimum, detail, need.working_set


def _boot_enabled(service: KdumpService | None) -> Any:
    if service is None:
        return Unknowable("no kdump service configuration found")
    if service.boot_enabled is None:
        return Unknowable("the tree has no /etc/systemd/system")
    return service.boot_enabled


def read_host(root: str) -> HostFacts:
    """Read every host fact under ``root``; only a missing /proc/cmdline is fatal."""
    host = HostRoot(root)
    notes: list[str] = []
    cmdline = host.read_text(CMDLINE, SMALL, what="kernel command line").strip()
    release = _read_value(host, OSRELEASE)
    if release is None:
        notes.append(f"{host.show(OSRELEASE)} is missing: the running release is unknown")
    iomem_text = host.read_optional(IOMEM, IOMEM_LIMIT, what="/proc/iomem listing")
    iomem = parse_iomem(iomem_text) if iomem_text is not None else None
    if iomem is None:
        notes.append(f"{host.show(IOMEM)} is missing: RAM size and crash regions unknown")
    elif iomem.zeroed:
        notes.append(f"{host.show(IOMEM)} was read without root (all addresses are zero): "
                     "run kcheck preflight as root to see the RAM size and crash regions")
    elif iomem.crash_problem:
        notes.append(f"{host.show(IOMEM)}: {iomem.crash_problem}: the crash region is taken as unknown")
    if iomem is not None and iomem.skipped:
        notes.append(f"{host.show(IOMEM)}: {len(iomem.skipped)} lines are not resources a kernel prints "
                     f"(first: line {iomem.skipped[0]}); ignored")
    loaded = _read_int(host, CRASH_LOADED)
    crash_size = _read_int(host, CRASH_SIZE)
    secure_boot = _secure_boot(host)
    config = find_config(host, release)
    config_data = read_config(host.real_file(config)) if config else None
    boot_config = config_data if config == f"/boot/config-{release}" else None
    service = detect_service(host, release=release, cmdline=cmdline, secure_boot=secure_boot,
                             boot_config=boot_config)
    if service is None:
        notes.append("no kdump service settings found (/etc/default/kdump-tools, "
                     "/etc/sysconfig/kdump, /etc/kdump.conf): the kexec command is unknown")
    else:
        notes.extend(service.notes)
    capture_kernel = capture_release = capture_config = None
    image = None
    image_problem = None
    image_unreadable = None
    if service and service.kernel and host.is_file(service.kernel):
        capture_kernel = host.host_path(service.kernel)
        capture_release = _release_of(capture_kernel) or release
        try:
            head = host.read_head(service.kernel, HEAD_SIZE)
        except InputError as exc:
            if "permission denied" not in exc.message.lower():
                raise
            # Ubuntu installs kernel images 0600: as for an unreadable
            # /proc/iomem, a note, and the checks that need the image skip.
            image_unreadable = (f"{host.show(capture_kernel)} is not readable by this user ({exc.message}); "
                                "run kcheck preflight as root to check the capture kernel image")
            notes.append(f"{image_unreadable}: the checks of its format and size are skipped")
        else:
            image = image_memory(head, host.size(service.kernel) or 0)
            image_problem = image.invalid or _not_an_image(host.real_file(service.kernel))
    if image is not None and image.how == "file size":
        notes.append(f"{host.show(capture_kernel)}: memory need estimated from the file size "
                     "(no bzImage init_size or ELF program headers)")
    initrd_size = host.size(service.initrd) if service and service.initrd else None
    initrd_unpacked = _initrd_unpacked(host, service.initrd) if service and service.initrd and initrd_size else None
    if service and service.initrd is None:
        initrd_size = initrd_unpacked = 0
    if capture_release and capture_release != release:
        capture_config = find_config(host, capture_release)
        if capture_config is None:
            notes.append(f"no config for the capture kernel {capture_release}; "
                         "its checks use the running kernel's config")
    tools = installed_versions(host, ("kexec-tools", "makedumpfile", "crash"))
    return HostFacts(root=host, release=release, cmdline=cmdline, iomem=iomem,
                     kexec_crash_loaded=loaded, kexec_crash_size=crash_size, config=config,
                     config_data=config_data,
                     secure_boot=secure_boot, service=service, capture_kernel=capture_kernel,
                     capture_release=capture_release, capture_config=capture_config,
                     image=image, initrd_size=initrd_size, notes=tuple(notes), image_problem=image_problem,
                     image_unreadable=image_unreadable, kexec_tools=tools["kexec-tools"],
                     makedumpfile=tools["makedumpfile"], crash=tools["crash"],
                     vmcoreinfo=host.exists(VMCOREINFO), dm_crypt_keys=_read_int(host, DM_CRYPT_COUNT),
                     initrd_unpacked=initrd_unpacked)


def _initrd_unpacked(host: HostRoot, path: str) -> int | None:
    """The unpacked size of the capture initrd (kcheck.inputs.initrd), or None when it is no initramfs."""
    from kcheck.inputs.initrd import read_initrd  # lazy: the initramfs reader, only with a capture initrd

    try:
        return read_initrd(host.real_file(path)).unpacked_bytes
    except KcheckError:
        return None


def _not_an_image(path: str) -> str | None:
    """Why the file kexec would load is no kernel image (from its bytes), or None."""
    from kcheck.inputs.image import identify  # lazy: the image readers, only when a capture kernel is named

    try:
        identify(path)
    except InputError as exc:
        return exc.message
    return None


def find_config(host: HostRoot, release: str | None) -> str | None:
    """The config of ``release``: /boot/config-R, /proc/config.gz, then the modules tree."""
    if release is None:
        candidates = ["/proc/config.gz"]
    else:
        candidates = [f"/boot/config-{release}", "/proc/config.gz",
                      f"/lib/modules/{release}/config", f"/usr/lib/modules/{release}/config"]
    for path in candidates:
        if path == "/proc/config.gz" and release is not None and not _is_running(host, release):
            continue
        # Anything there (even a FIFO or a directory) is the config: reading it
        # then says what is wrong, instead of "no config found".
        if host.exists(path):
            return path
    return None


def _is_running(host: HostRoot, release: str) -> bool:
    """/proc/config.gz describes only the running kernel."""
    return _read_value(host, OSRELEASE) == release


def _release_of(path: str) -> str | None:
    """``6.1.0-56-amd64`` from ``/boot/vmlinuz-6.1.0-56-amd64``."""
    match = re.match(r"(?:vmlinuz|vmlinux|bzImage|Image)-(.+)$", os.path.basename(path))
    return match.group(1) if match else None


def _read_value(host: HostRoot, path: str) -> str | None:
    text = host.read_optional(path, SMALL, what="proc or sysfs value")
    return text.strip() if text is not None and text.strip() else None


def _read_int(host: HostRoot, path: str) -> int | None:
    text = _read_value(host, path)
    if text is None:
        return None
    try:
        return int(text, 0)
    except ValueError:
        raise InputError(host.show(path), f"{text[:40]!r} is not a number") from None


def _secure_boot(host: HostRoot) -> bool:
    """SecureBoot=1 and SetupMode=0 (the last of 5 bytes), as both services test."""
    names = host.listdir(EFIVARS)

    def byte(prefix: str) -> int | None:
        for name in names:
            if name.startswith(prefix + "-"):
                data = host.read_head(f"{EFIVARS}/{name}", 5)
                return data[4] if len(data) == 5 else None
        return None

    if byte("SecureBoot") == 1 and byte("SetupMode") == 0:
        return True
    ipl = _read_value(host, "/sys/firmware/ipl/secure")  # s390x
    return ipl == "1"
