"""What kind of capture initrd an archive listing shows, for the capture-memory model.

The working set a capture kernel needs depends on what its initrd runs
(kcheck.domain.capture_memory.KINDS); the listing tells, without unpacking:

* kcheck's probe: its ``/init`` prints ``@@kcheck:<token>:<event>`` lines
  (kcheck.rehearse.initramfs); a later archive's ``/init`` replaces an
  earlier one's, as the kernel's unpacker overwrites it;
* dracut with kdump-utils' kdumpbase module: dracut's ``usr/lib/dracut/``
  plus the module's ``kdump.sh``, ``kdump-lib-initramfs.sh`` or
  ``etc/kdump.conf``, or dracut's own ``usr/lib/dracut/modules.txt`` naming
  ``kdumpbase``: mkdumprd squashes the initramfs where squashfs, overlay and
  loop exist (Fedora's default), and then kdump.sh and kdump.conf are inside
  ``squash-root.img``, only modules.txt is in the listing;
* initramfs-tools (Debian, Ubuntu): ``conf/initramfs.conf`` and ``scripts/``;
  it mounts the root and continues into the root's init, where
  kdump-tools' command line (systemd.unit=kdump-tools-dump.service) runs the dump.
"""

from __future__ import annotations

#: the probe's /init says this on the console (kcheck.rehearse.initramfs._COMMON)
PROBE_SAYS = b"@@kcheck:"
#: /init is read for the probe's words only up to this size
INIT_LIMIT = 64 * 1024

#: the working-set kind of each kdump service kcheck preflight reads (kcheck.inputs.kdump_service)
SERVICE_KINDS: dict[str, str] = {"kdump-tools": "kdump-tools", "kdumpctl": "dracut-kdump"}

_KDUMP_UTILS = frozenset({"kdump.sh", "kdump-lib-initramfs.sh"})


def marker_of(name: str) -> str | None:
    """The marker a cpio member's name (as stored, maybe with ``./``) is, or None."""
    name = name.removeprefix("./").lstrip("/")
    if name.startswith("usr/lib/dracut/"):
        return "dracut"
    if name == "etc/kdump.conf" or name.rsplit("/", 1)[-1] in _KDUMP_UTILS:
        return "kdump-utils"
    if name == "conf/initramfs.conf":
        return "initramfs-tools-conf"
    if name.startswith("scripts/"):
        return "initramfs-tools-scripts"
    return None


def is_init(name: str) -> bool:
    return name.removeprefix("./").lstrip("/") == "init"


#: dracut lists the modules it put in the initrd here, also outside a squashed image
DRACUT_MODULES = "usr/lib/dracut/modules.txt"


def is_read(name: str) -> bool:
    """Whether a small member's content is a marker (marker_in), so the reader keeps it."""
    return name.removeprefix("./").lstrip("/") == DRACUT_MODULES


def marker_in(name: str, data: bytes) -> str | None:
    """The marker a kept member's content is: dracut's modules.txt naming kdumpbase."""
    if name.removeprefix("./").lstrip("/") == DRACUT_MODULES and b"kdumpbase" in data.split():
        return "kdump-utils"
    return None


def initrd_kind(markers: frozenset[str], init: bytes | None) -> tuple[str, str]:
    """(kind, why) for a listing's markers and its last /init (None when too big or absent)."""
    if init is not None and PROBE_SAYS in init:
        return "probe", "its /init is kcheck's probe"
    if "dracut" in markers and "kdump-utils" in markers:
        return "dracut-kdump", "dracut with kdump-utils' kdumpbase"
    if {"initramfs-tools-conf", "initramfs-tools-scripts"} <= markers:
        return "kdump-tools", "initramfs-tools, then the root's kdump-tools"
    if "dracut" in markers:
        return "unknown", "dracut without kdump-utils' kdumpbase"
    return "unknown", "no probe, dracut or initramfs-tools files"
