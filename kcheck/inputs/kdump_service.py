"""Work out what the host's kdump service will load, as the service would.

Two services are modelled, from their sources:

* Debian/Ubuntu **kdump-tools** 1.8.1 (``/usr/sbin/kdump-config load``):
  settings in ``/etc/default/kdump-tools``; refuses to run unless
  ``USE_KDUMP`` is set and not 0 (check_kdump_support); the capture kernel is
  ``KDUMP_KERNEL`` (and ``KDUMP_INITRD``), both of which must exist, else the
  running kernel ``/boot/vmlinuz-<release>`` with ``/boot/initrd.img-<release>``
  when ``/boot/config-<release>`` has ``CONFIG_RELOCATABLE=y``
  (locate_kdump_kernel); the command line is ``KDUMP_CMDLINE`` or
  ``/proc/cmdline`` minus ``crashkernel=``/``hugepages=``/``hugepagesz=``/
  ``abm=``, then ``KDUMP_CMDLINE_APPEND`` (kdump_load); ``-s`` under Secure
  Boot or securelevel 1; ``--args-linux`` for an ELF kernel.
* Fedora/RHEL **kdump-utils** (``kdumpctl start``): settings in
  ``/etc/sysconfig/kdump`` and ``/etc/kdump.conf``; the kernel is
  ``<bootdir>/<KDUMP_IMG>-<KDUMP_KERNELVER or release><KDUMP_IMG_EXT>`` (or the
  BOOT_IMAGE of /proc/cmdline when it names that release), the initrd
  ``<bootdir>/initramfs-<release>kdump.img``, which kdumpctl builds with
  mkdumprd when it is missing (prepare_kdump_bootinfo, check_rebuild); the
  command line is prepare_cmdline(): ``/proc/cmdline`` minus
  ``KDUMP_COMMANDLINE_REMOVE`` and a fixed list (crashkernel, root, ...),
  plus ``KDUMP_COMMANDLINE_APPEND``; ``KEXEC_ARGS`` (``-s`` on x86_64, aarch64,
  ppc64le and s390x by gen-kdump-sysconfig.sh) and ``-s`` under Secure Boot.

The result includes the ``kexec`` command text the service would run, so the
ordinary kexec rules check it.
"""

from __future__ import annotations

import os
import re
import shlex

from kcheck.domain.records import field, record
from kcheck.domain.shellwords import split_words
from kcheck.inputs.hostfs import HostRoot
from kcheck.inputs.kconfig import KernelConfig, read_config
from kcheck.inputs.shellconf import ShellVars, parse_kdump_conf, parse_shell_vars
from kcheck.domain.errors import InputError

SETTINGS_LIMIT = 1024 * 1024

DEBIAN_DEFAULTS = "/etc/default/kdump-tools"
DEBIAN_APPEND = "reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb"
_DEBIAN_STRIP = re.compile(r"(^| )(crashkernel|hugepages|hugepagesz|abm)=[^ ]*")

FEDORA_SYSCONFIG = "/etc/sysconfig/kdump"
FEDORA_CONF = "/etc/kdump.conf"
#: kdumpctl's own default when /etc/sysconfig/kdump does not set it.
FEDORA_REMOVE_DEFAULT = "hugepages hugepagesz slub_debug"
#: prepare_cmdline() always removes these.
FEDORA_ALWAYS_REMOVE = ("crashkernel", "panic_on_warn", "root", "rd.lvm.lv", "rd.luks.uuid",
                        "rd.dm.uuid", "rd.md.uuid", "fcoe", "netroot", "rd.iscsi.initiator",
                        "iscsi_initiator")


#: The dump commands when the settings name none: kdump-config's MAKEDUMP_ARGS default (1.8.1), and
#: kdump-utils' CORE_COLLECTOR (dracut/99kdumpbase/kdump.sh).
DEBIAN_MAKEDUMP_ARGS = "-F -c -d 31"
FEDORA_CORE_COLLECTOR = "makedumpfile -l --message-level 7 -d 31"


@record
class KdumpService:
    """The capture set-up the host's kdump service will load, and why it would not."""

    name: str
    settings: str | None
    enabled: bool
    disabled_reason: str | None
    kernel: str | None
    kernel_problem: str | None
    initrd: str | None
    initrd_rebuilt: bool
    cmdline: str
    file_syscall: bool
    kexec_text: str | None
    config_error: str | None = None
    boot_enabled: bool | None = None
    notes: tuple[str, ...] = field(default=())
    #: The command that writes the dump (kdump-tools: makedumpfile MAKEDUMP_ARGS; kdumpctl: core_collector).
    collector: str | None = None


def detect_service(host: HostRoot, *, release: str | None, cmdline: str, secure_boot: bool,
                   boot_config: KernelConfig | None = None) -> KdumpService | None:
    """The kdump service configured in the tree, or None when there is none.

    ``boot_config`` is ``/boot/config-<release>`` already read, if it exists.
    """
    if host.exists(DEBIAN_DEFAULTS) or host.exists("/usr/sbin/kdump-config"):
        return debian_service(host, release=release, cmdline=cmdline, secure_boot=secure_boot,
                              boot_config=boot_config)
    if any(host.exists(p) for p in (FEDORA_SYSCONFIG, FEDORA_CONF, "/usr/bin/kdumpctl")):
        return fedora_service(host, release=release, cmdline=cmdline, secure_boot=secure_boot)
    return None


def _settings(host: HostRoot, path: str) -> tuple[ShellVars, list[str]]:
    text = host.read_optional(path, SETTINGS_LIMIT, what="shell settings file")
    if text is None:
        return parse_shell_vars(""), [f"{host.show(path)} is missing; the service's defaults apply"]
    variables = parse_shell_vars(text)
    return variables, [f"{host.show(path)}: {w}" for w in variables.warnings]


def _boot_enabled(host: HostRoot, unit: str) -> bool | None:
    """Whether systemd starts ``unit`` at boot: a link in some ``*.wants`` directory."""
    base = "/etc/systemd/system"
    if not host.is_dir(base):
        return None
    return any(host.lexists(f"{base}/{entry}/{unit}")
               for entry in host.listdir(base) if entry.endswith(".wants"))


def _is_elf(host: HostRoot, path: str) -> bool:
    """Whether kdump-tools would pass --args-linux; an image this user cannot read (Ubuntu's
    0600) counts as not ELF, and read_host notes that the image checks are skipped."""
    try:
        return host.is_file(path) and host.read_head(path, 4) == b"\x7fELF"
    except InputError as exc:
        if "permission denied" in exc.message.lower():
            return False
        raise


def _kexec_text(options: list[str], cmdline: str, initrd: str | None, kernel: str) -> str:
    words = ["kexec", *options, f"--command-line={shlex.quote(cmdline)}"]
    if initrd:
        words.append(f"--initrd={shlex.quote(initrd)}")
    words.append(shlex.quote(kernel))
    return " ".join(words)


def debian_service(host: HostRoot, *, release: str | None, cmdline: str, secure_boot: bool,
                   boot_config: KernelConfig | None = None) -> KdumpService:
    settings, notes = _settings(host, DEBIAN_DEFAULTS)
    use = settings.get("USE_KDUMP") or ""
    enabled = use not in ("", "0")
    reason = None if enabled else ("USE_KDUMP is 0" if use == "0" else "USE_KDUMP is not set")
    kernel, initrd, problem = _debian_kernel(host, settings, release, boot_config)
    capture = settings.get("KDUMP_CMDLINE") or _DEBIAN_STRIP.sub("", cmdline.strip())
    capture = f"{capture} {settings.get_or('KDUMP_CMDLINE_APPEND', DEBIAN_APPEND)}"
    options = ["-p"] + (["-s"] if secure_boot or _securelevel(host) else [])
    if kernel and _is_elf(host, kernel):
        options.append("--args-linux")
    options.extend(split_words(settings.get("KDUMP_KEXEC_ARGS") or ""))
    # kdump_load passes --initrd only when the file exists.
    loaded_initrd = initrd if initrd and host.exists(initrd) else None
    return KdumpService(
        name="kdump-tools", settings=DEBIAN_DEFAULTS, enabled=enabled, disabled_reason=reason,
        kernel=kernel, kernel_problem=problem, initrd=initrd, initrd_rebuilt=False,
        cmdline=capture, file_syscall="-s" in options,
        kexec_text=_kexec_text(options, capture, loaded_initrd, kernel) if kernel else None,
        boot_enabled=_boot_enabled(host, "kdump-tools.service"), notes=tuple(notes),
        collector="makedumpfile " + settings.get_or("MAKEDUMP_ARGS", DEBIAN_MAKEDUMP_ARGS))


def _debian_kernel(host: HostRoot, settings: ShellVars, release: str | None,
                   boot_config: KernelConfig | None) -> tuple[str | None, str | None, str | None]:
    """(kernel, initrd, problem) as locate_kdump_kernel() picks them."""
    kernel = settings.get("KDUMP_KERNEL") or ""
    initrd = settings.get("KDUMP_INITRD") or ""
    if kernel:
        if not host.exists(kernel):
            return kernel, initrd or None, f"KDUMP_KERNEL {kernel} does not exist"
        return kernel, initrd or None, None
    if release is None:
        return None, None, "KDUMP_KERNEL is not set and the running release is unknown"
    config = f"/boot/config-{release}"
    # check_relocatable greps /boot/config-$KVER for CONFIG_RELOCATABLE=y.
    if boot_config is None and host.is_file(config):
        boot_config = read_config(host.real_file(config))
    relocatable = boot_config is not None and boot_config.get("RELOCATABLE") == "y"
    if not relocatable:
        return None, None, (f"KDUMP_KERNEL is not set and the running kernel is not relocatable "
                            f"(no CONFIG_RELOCATABLE=y in {config})")
    for candidate in (f"/boot/vmlinuz-{release}", f"/boot/vmlinux-{release}"):
        if host.is_file(candidate):
            found_initrd = f"/boot/initrd.img-{release}"
            return candidate, found_initrd if host.is_file(found_initrd) else None, None
    return None, None, f"KDUMP_KERNEL is not set and /boot/vmlinuz-{release} does not exist"


def _securelevel(host: HostRoot) -> bool:
    text = host.read_optional("/sys/kernel/security/securelevel", 64, what="sysfs value")
    return text is not None and text.strip() == "1"


def fedora_service(host: HostRoot, *, release: str | None, cmdline: str,
                   secure_boot: bool) -> KdumpService:
    settings, notes = _settings(host, FEDORA_SYSCONFIG)
    conf_text = host.read_optional(FEDORA_CONF, SETTINGS_LIMIT, what="kdump.conf")
    conf_error = None
    collector = FEDORA_CORE_COLLECTOR
    if conf_text is not None:
        conf = parse_kdump_conf(conf_text)
        conf_error = f"{host.show(FEDORA_CONF)}: {conf.error}" if conf.error else None
        collector = conf.get("core_collector") or collector
    version = settings.get("KDUMP_KERNELVER") or release
    kernel = _fedora_kernel(host, settings, version, cmdline)
    problem = None
    initrd = None
    if kernel is None:
        problem = f"no kernel image for release {version} in the boot directories" if version \
            else "the running release is unknown"
    else:
        initrd = _fedora_initrd(host, os.path.dirname(kernel), version or "")
    remove = settings.get("KDUMP_COMMANDLINE_REMOVE", FEDORA_REMOVE_DEFAULT) or ""
    append = settings.get("KDUMP_COMMANDLINE_APPEND") or ""
    capture = prepare_cmdline(settings.get("KDUMP_COMMANDLINE") or cmdline, remove, append)
    apicid = _boot_cpu_apicid(host)
    if apicid is not None:
        capture = f"{capture} disable_cpu_apicid={apicid}"
    options = split_words(settings.get("KEXEC_ARGS") or "")
    if secure_boot:
        options.append("-s")
    options.append("-p")
    return KdumpService(
        name="kdumpctl", settings=FEDORA_SYSCONFIG, enabled=True, disabled_reason=None,
        kernel=kernel, kernel_problem=problem, initrd=initrd, initrd_rebuilt=True,
        cmdline=capture, file_syscall="-s" in options,
        kexec_text=_kexec_text(options, capture, initrd, kernel) if kernel else None,
        config_error=conf_error, boot_enabled=_boot_enabled(host, "kdump.service"),
        notes=tuple(notes), collector=collector)


def _fedora_kernel(host: HostRoot, settings: ShellVars, version: str | None,
                   cmdline: str) -> str | None:
    """prepare_kdump_kernel(): the first image found, BOOT_IMAGE first."""
    if version is None:
        return None
    image = settings.get("KDUMP_IMG") or "vmlinuz"
    ext = settings.get("KDUMP_IMG_EXT") or ""
    machine_id = (host.read_optional("/etc/machine-id", 4096, what="machine id") or "").strip()
    names = [f"{image}-{version}{ext}", f"{machine_id}/{version}/{image}",
             f"EFI/Linux/{machine_id}-{version}.efi"]
    boot_image = re.match(r"BOOT_IMAGE=(?:\([^)]*\))?(\S+)", cmdline.strip())
    if boot_image and boot_image.group(1).endswith(version):
        names.insert(0, boot_image.group(1))
    dirs = (settings.get("KDUMP_BOOTDIR") or "/boot /boot/efi /efi /").split()
    for directory in dirs:
        for name in names:
            path = re.sub("/+", "/", f"{directory}/{name}")
            if host.is_file(path):
                return path
    return None


def _fedora_initrd(host: HostRoot, bootdir: str, version: str) -> str:
    """KDUMP_INITRD: the default initrd's name with ``kdump`` before the extension."""
    base = None
    for name in (f"initramfs-{version}.img", "initrd"):
        if host.is_file(f"{bootdir}/{name}"):
            base = name
            break
    if base is None:
        kdump_name = f"initramfs-{version}kdump.img"
    elif "." in base:
        stem, _, extension = base.rpartition(".")
        kdump_name = f"{stem}kdump.{extension}"
    else:
        kdump_name = f"{base}kdump"
    in_boot = f"{bootdir}/{kdump_name}"
    in_var = f"/var/lib/kdump/{kdump_name}"  # used when the boot directory is read-only
    return in_var if not host.exists(in_boot) and host.exists(in_var) else in_boot


def prepare_cmdline(cmdline: str, remove: str, append: str) -> str:
    """kdump-utils prepare_cmdline(): drop listed parameters, then append.

    Words are split as ``xargs`` does (quotes removed); ``name=`` with an
    empty value is dropped, as ``_cmdline_parse`` ignores it.
    """
    removed = {word.split("=", 1)[0] for word in _xargs_words(remove)}
    removed.update(FEDORA_ALWAYS_REMOVE)
    kept: list[str] = []
    for word in _xargs_words(cmdline):
        name, eq, value = word.partition("=")
        if eq and not value:
            continue
        if name in removed:
            continue
        kept.append(f'{name}="{value}"' if eq and re.search(r"\s", value) else word)
    return " ".join(kept + append.split()).strip()


def _xargs_words(text: str) -> list[str]:
    try:
        return split_words(text)
    except ValueError:
        return text.split()


def _boot_cpu_apicid(host: HostRoot) -> str | None:
    """The ``apicid`` of processor 0 in /proc/cpuinfo (get_bootcpu_apicid), if captured."""
    text = host.read_optional("/proc/cpuinfo", 16 * 1024 * 1024, what="cpuinfo")
    if text is None:
        return None
    cpu = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "processor":
            cpu = value
        elif key == "apicid" and cpu == "0":
            return value
    return None
