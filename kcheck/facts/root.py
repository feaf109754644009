"""``kexec.root.*``: the capture kernel's root device and what mounting it needs.

The root device is the ``root=`` of the capture kernel's command line as
kexec builds it (``--append``, ``--command-line``, ``--reuse-cmdline``);
what it needs comes from the table in :mod:`kcheck.domain.rootdev`, checked
against the capture kernel's config.  A device whose driver cannot be known
from its name raises an *undecided* Unknown: the rule may well apply, and
the report says it could not judge it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kcheck.domain.rootdev import FILESYSTEMS, Requirement, RootDevice, missing, parse_root
from kcheck.domain.version import KernelVersion
from kcheck.facts.protocol import Unknown

if TYPE_CHECKING:
    from kcheck.facts.setup import Setup

#: The facts under ``kexec.root.``, with a line of doc each.
ROOT_FACTS = {
    "device": "the capture kernel's root= (None: it has none)",
    "kind": "ide, scsi, nvme, virtio, xen, mmc, nfs, uuid, label, partuuid, mapper, md ... or unknown",
    "what": "the kind of device in words (IDE disk, file system UUID ...)",
    "needs_initrd": "why only an initrd can find this root device (None: the kernel can)",
    "missing": "the links of its driver chain not built into the capture kernel (None: all =y)",
    "fstype": "the capture kernel's rootfstype= (None: the kernel tries every registered type)",
    "fs_missing": "the rootfstype='s driver when it is not built in (None: it is)",
}


def root_fact(setup: Setup, name: str) -> Any:
    """The value of ``kexec.root.<name>``."""
    capture = setup.capture_cmdline
    spec = capture.get("root") if capture is not None and capture.has("root") else None
    fstype = capture.get("rootfstype") if capture is not None and capture.has("rootfstype") else None
    if name == "device":
        return spec
    if name == "fstype":
        return fstype
    config = setup.capture.config
    if name == "fs_missing":
        if not fstype:
            return None
        alternatives = FILESYSTEMS.get(fstype)
        if alternatives is None:
            raise Unknown(f"rootfstype={fstype} is a file system kcheck has no driver table for",
                          "kexec.root.fs_missing", undecided=True)
        if config is None:
            return None
        found = missing((Requirement(alternatives, f"the {fstype} file system"),), config.get)
        return "; ".join(found) or None
    if not spec:
        return None
    device = parse_root(spec, setup.capture.version)
    if name == "kind":
        return device.kind
    if name == "what":
        return device.what
    if name == "needs_initrd":
        if device.kind == "md" and config is not None and config.get("MD_AUTODETECT") == "y":
            return None  # the kernel may assemble it itself; its members' drivers are unknown
        return device.needs_initrd
    if name == "missing":
        return _missing_links(device, setup)
    raise KeyError(f"kexec.root.{name}")


def _missing_links(device: RootDevice, setup: Setup) -> str | None:
    config = setup.capture.config
    version = setup.capture.version
    if device.gone_in and version is not None and version >= KernelVersion.parse(device.gone_in):  # type: ignore[operator]
        return (f"the capture kernel is {version}: the IDE layer was removed in {device.gone_in}, "
                f"so no {device.spec} exists (libata names the disk /dev/sdX)")
    if not device.chain:
        raise Unknown(f"the capture kernel's root device driver cannot be known: {device.unknown_driver}",
                      "kexec.root.missing", undecided=True)
    if config is None:
        return None
    symbols = [symbol for requirement in device.chain for alternative in requirement.alternatives
               for symbol in alternative]
    if all(config.get(symbol) is None for symbol in symbols):
        # kconfig writes every symbol of a menu that exists, set or not: a config with none
        # of them (a fragment, a tree without drivers/) does not say how the driver is built.
        raise Unknown(f"the capture config has none of {', '.join('CONFIG_' + s for s in symbols)}: "
                      f"it does not say how root={device.spec}'s driver is built",
                      "kexec.root.missing", undecided=True)
    found = missing(device.chain, config.get)
    return "; ".join(found) or None
