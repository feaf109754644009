"""Correct modern kdump set-ups on Debian's real 6.1 kernels, one per config.

Each is what Debian's kdump-tools would run on that architecture: the
running kernel reused as the capture kernel (Debian configs are relocatable),
the distribution's default ``crashkernel=384M-:128M``, and the capture
command line kdump-tools builds (/proc/cmdline minus crashkernel=, plus its
KDUMP_CMDLINE_APPEND), with the options Documentation/admin-guide/kdump/
kdump.rst recommends for the architecture.  These set-ups must check without
errors or warnings: any finding on them is a false alarm, except the ones
listed in ``TRUE_ERRORS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.corpus import corpus_configs

BOOT = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-{flavour} root=UUID=5b1c7a0e-6f61-4a57-9d0e-0b0e3c1f2a11 ro quiet"
KDUMP = "reset_devices systemd.unit=kdump-tools-dump.service"
APPEND = {
    "amd64": f"{KDUMP} nr_cpus=1 irqpoll usbcore.nousb",
    "i386": f"{KDUMP} nr_cpus=1 irqpoll usbcore.nousb",
    "arm64": f"{KDUMP} nr_cpus=1 usbcore.nousb",
    "armhf": f"{KDUMP} maxcpus=1 usbcore.nousb",
    "ppc64el": f"{KDUMP} maxcpus=1 noirqdistrib",
    "s390x": "systemd.unit=kdump-tools-dump.service nr_cpus=1 cgroup_disable=memory",
}
MEMORY = {"amd64": "16G", "i386": "3G", "arm64": "8G", "armhf": "2G", "ppc64el": "32G", "s390x": "8G"}

#: Findings that are true on Debian's own configs: s390x ships without kdump; arm64 6.1 has no
#: KALLSYMS_ALL, so kexec_load writes a dump header makedumpfile cannot read (KX030, rehearsed in
#: tests/cli/test_rehearse_lane_arm64.py), and it has no KEXEC_FILE for -s to avoid that.
TRUE_ERRORS = {"s390x_none_s390x": {"KC001", "KC010"}, "arm64_none_arm64": {"KX030"},
               "arm64_none_cloud-arm64": {"KX030"}, "arm64_rt_arm64": {"KX030"}}


def modern_setup(name: str, config: Path | None = None) -> dict[str, Any]:
    """The correct set-up for the Debian config ``name`` (e.g. ``amd64_none_amd64``): the corpus
    file, or ``config`` (such as a committed subset of it, tests/config_subsets.py)."""
    debian_arch, _featureset, flavour = name.split("_", 2)
    boot = BOOT.format(flavour=flavour)
    kexec = (f'kexec -p --command-line="{boot} {APPEND[debian_arch]}" '
             f"--initrd=/var/lib/kdump/initrd.img-6.1.0-56-{flavour} "
             f"/var/lib/kdump/vmlinuz-6.1.0-56-{flavour}")
    return {
        "system": config if config is not None else corpus_configs()[name],
        "capture": None,
        "cmdline": f"{boot} crashkernel=384M-:128M",
        "kexec": kexec,
        "memory": MEMORY[debian_arch],
    }
