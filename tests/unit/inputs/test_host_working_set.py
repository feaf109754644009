"""Pre-flight takes the working set from the host's kdump service and the running kernel's arch."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from kcheck.inputs.host import Unknowable, read_host

HOSTS = Path(__file__).resolve().parents[3] / "fixtures" / "hosts"


def test_kdump_tools_hosts_count_the_kdump_tools_working_set():
    facts = read_host(str(HOSTS / "debian-healthy")).facts()
    assert facts["capture.run_working_set"].startswith("working set kdump-tools (kdump-tools service)")


def test_kdumpctl_hosts_count_dracuts_kdump_module():
    facts = read_host(str(HOSTS / "fedora-healthy")).facts()
    assert facts["capture.run_working_set"].startswith("working set dracut-kdump (kdumpctl service)")


def test_an_architecture_never_rehearsed_is_not_judged(tmp_path):
    """A host whose running kernel is one no rehearsal measured: the run need is unknown, not x86_64's."""
    root = Path(shutil.copytree(HOSTS / "debian-healthy", tmp_path / "host", symlinks=True))
    for config in (root / "boot").glob("config-*"):  # gzip'd, as the fixture keeps it
        text = gzip.decompress(config.read_bytes()).decode().replace("CONFIG_X86_64=y", "# CONFIG_X86_64 is not set")
        text = text.replace("CONFIG_X86=y", "CONFIG_PPC64=y\nCONFIG_PPC=y\nCONFIG_CPU_LITTLE_ENDIAN=y")
        config.write_bytes(gzip.compress(text.encode()))
    host = read_host(str(root))
    assert host.arch == "ppc64le"
    size = host.facts()["capture.run_size"]
    assert isinstance(size, Unknowable) and "no capture-memory rehearsal of ppc64le" in size.reason
