"""The pre-flight readers: host tree paths, /proc/iomem, service settings, images."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcheck.domain.errors import InputError
from kcheck.facts.image import footprint
from kcheck.inputs.host import read_host
from kcheck.inputs.hostfs import HostRoot
from kcheck.inputs.image import read_image
from kcheck.inputs.imagesize import image_memory
from kcheck.inputs.iomem import parse_iomem
from kcheck.inputs.kdump_service import prepare_cmdline
from kcheck.inputs.shellconf import parse_kdump_conf, parse_shell_vars
from tests.conftest import FIXTURES
from tests.corpus import corpus_image
from tests.preflight_helpers import DEBIAN_61_INIT_SIZE, bzimage_header, copy_tree

HOSTS = FIXTURES / "hosts"

# An x86_64 host with crashkernel=512M,high: a low region below 4G and the main one above.
HIGH_IOMEM = """\
00000000-00000fff : Reserved
00001000-0009ffff : System RAM
00100000-7ffdffff : System RAM
  6f000000-7effffff : Crash kernel
  7f000000-7fffefff : ACPI Tables
fec00000-fec003ff : IOAPIC 0
  fec00000-fec003ff : PNP0003:00
    fec00000-fec003ff : nested three deep
100000000-27fffffff : System RAM
  25f000000-27effffff : Crash kernel
  26a000000-26b002616 : Kernel code
"""


# --- /proc/iomem ---------------------------------------------------------------------

def test_iomem_sums_system_ram_and_orders_crash_regions() -> None:
    iomem = parse_iomem(HIGH_IOMEM)
    assert iomem.system_ram == 0x9F000 + 0x7FEE0000 + 0x180000000
    assert [(r.start, r.end) for r in iomem.crash_regions] == [
        (0x6F000000, 0x7EFFFFFF), (0x25F000000, 0x27EFFFFFF)]
    assert iomem.crash_main is not None and iomem.crash_main.size == 512 << 20
    assert not iomem.zeroed


def test_iomem_nesting_depth_from_indentation() -> None:
    depths = {r.name: r.depth for r in parse_iomem(HIGH_IOMEM).resources}
    assert depths["IOAPIC 0"] == 0 and depths["PNP0003:00"] == 1 and depths["nested three deep"] == 2


def test_iomem_read_without_root_is_zeroed() -> None:
    iomem = parse_iomem("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n"
                        "  00000000-00000000 : Crash kernel\n")
    assert iomem.zeroed
    assert parse_iomem("").zeroed is False


def test_iomem_skips_lines_it_cannot_read() -> None:
    iomem = parse_iomem("garbage\n00100000-0fffffff : System RAM\n20000000-1fffffff : backwards\n")
    assert iomem.skipped == (1, 3)
    assert iomem.system_ram == 0x0FF00000


@given(st.lists(st.tuples(st.integers(0, 2**40), st.integers(1, 2**32), st.integers(0, 3),
                          st.sampled_from(["System RAM", "Crash kernel", "Reserved", "PCI Bus 0000:00"])),
                max_size=30))
def test_iomem_reads_back_what_r_show_writes(entries: list[tuple[int, int, int, str]]) -> None:
    text = "".join(f"{'  ' * depth}{start:08x}-{start + size - 1:08x} : {name}\n"
                   for start, size, depth, name in entries)
    iomem = parse_iomem(text)
    assert [(r.start, r.size, r.depth, r.name) for r in iomem.resources] == entries
    assert iomem.system_ram == sum(size for _, size, _, name in entries if name == "System RAM")


# --- shell settings ------------------------------------------------------------------

def test_shell_vars_quotes_comments_export_and_expansion() -> None:
    text = (
        "# kdump-tools settings\n"
        "USE_KDUMP=1   # on\n"
        "export KDUMP_COREDIR=\"/var/crash\"\n"
        "BASE=/var/lib/kdump\n"
        "KDUMP_KERNEL=$BASE/vmlinuz\n"
        "KDUMP_INITRD=\"${BASE}/initrd.img\"\n"
        "LITERAL='$BASE stays'\n"
        "DEFAULTED=${UNSET:-fallback} KEPT=${USE_KDUMP:-9}\n"
        "KDUMP_CMDLINE_APPEND=\"nr_cpus=1\n  irqpoll\"\n"
        "ESCAPED=a\\ b\\$c\n"
    )
    variables = parse_shell_vars(text)
    assert variables.values == {
        "USE_KDUMP": "1", "KDUMP_COREDIR": "/var/crash", "BASE": "/var/lib/kdump",
        "KDUMP_KERNEL": "/var/lib/kdump/vmlinuz", "KDUMP_INITRD": "/var/lib/kdump/initrd.img",
        "LITERAL": "$BASE stays", "DEFAULTED": "fallback", "KEPT": "1",
        "KDUMP_CMDLINE_APPEND": "nr_cpus=1\n  irqpoll", "ESCAPED": "a b$c",
    }
    assert variables.lines["KDUMP_KERNEL"] == 5 and variables.lines["ESCAPED"] == 11
    assert variables.warnings == ()


def test_shell_vars_never_run_commands() -> None:
    variables = parse_shell_vars("[ -r /etc/x ] && . /etc/x\nKVER=$(uname -r)\nA=`id`\nB=2\n")
    assert variables.values == {"KVER": "$(uname -r)", "A": "`id`", "B": "2"}
    assert [w.split(":")[0] for w in variables.warnings] == ["line 1", "line 2", "line 3"]


def test_shell_vars_empty_value_and_default() -> None:
    variables = parse_shell_vars("KDUMP_CMDLINE_APPEND=\nUSE_KDUMP=\n")
    assert variables.get("USE_KDUMP") == ""
    assert variables.get_or("KDUMP_CMDLINE_APPEND", "reset_devices") == "reset_devices"


def test_kdump_conf_directives_and_refusals() -> None:
    conf = parse_kdump_conf("# comment\npath /var/crash\ncore_collector makedumpfile -l -d 31 # x\n"
                            "\nfailure_action shell\n")
    assert conf.error is None
    assert conf.get("core_collector") == "makedumpfile -l -d 31"
    assert [d[2] for d in conf.directives] == [2, 3, 5]
    assert parse_kdump_conf("path /a\npath /b\n").error == "line 2: more than one path (first on line 1)"
    assert parse_kdump_conf("frobnicate 1\n").error == "line 1: invalid option frobnicate"
    assert parse_kdump_conf("core_collector\n").error == "line 1: core_collector has no value"
    assert parse_kdump_conf("link_delay 10\n").error == "line 1: deprecated option link_delay"


# --- capture command lines -----------------------------------------------------------

def test_kdumpctl_prepare_cmdline() -> None:
    line = ('BOOT_IMAGE=(hd0,gpt2)/vmlinuz-6.1 root=/dev/mapper/r ro rd.lvm.lv=f/root quiet '
            'hugepages=64 crashkernel=256M panic_on_warn=1 foo= rd.luks.uuid=x "acpi_osi=Linux x"')
    assert prepare_cmdline(line, "hugepages quiet", "irqpoll nr_cpus=1") == (
        'BOOT_IMAGE=(hd0,gpt2)/vmlinuz-6.1 ro acpi_osi="Linux x" irqpoll nr_cpus=1')


def test_debian_strips_crashkernel_hugepages_abm(tmp_path: Path) -> None:
    root = copy_tree(HOSTS / "debian-healthy", tmp_path / "host")
    (root / "proc" / "cmdline").write_text(
        "root=/dev/sda1 hugepages=8 hugepagesz=2M default_hugepagesz=2M abm=1 crashkernel=128M ro\n")
    service = read_host(str(root)).service
    assert service is not None
    assert service.cmdline == ("root=/dev/sda1 default_hugepagesz=2M ro reset_devices "
                               "systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb")


# --- host trees ----------------------------------------------------------------------

def test_host_root_resolves_links_as_a_chroot(tmp_path: Path) -> None:
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "vmlinuz-1").write_text("image")
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "abs").symlink_to("/boot/vmlinuz-1")
    (tmp_path / "var" / "up").symlink_to("../../../../../boot/vmlinuz-1")
    (tmp_path / "var" / "out").symlink_to("/etc/hostname")
    (tmp_path / "loop").symlink_to("/loop")
    host = HostRoot(str(tmp_path))
    assert host.read_text("/var/abs", 100, what="file") == "image"
    assert host.read_text("/var/up", 100, what="file") == "image"
    assert host.host_path("/var/abs") == "/boot/vmlinuz-1"
    assert not host.exists("/var/out")  # ROOT/etc/hostname, not the real one
    assert host.lexists("/var/out")
    with pytest.raises(InputError, match="too many levels of symbolic links"):
        host.resolve("/loop/x")
    with pytest.raises(InputError) as error:
        host.read_text("/var/out", 100, what="file")
    assert str(error.value) == f"{tmp_path}/var/out: no such file"


def test_host_facts_of_the_debian_fixture() -> None:
    host = read_host(str(HOSTS / "debian-healthy"))
    assert host.release == "6.1.0-56-amd64"
    assert host.memory == 0x9EC00 + 0xBFEDB000 + 0x140000000
    assert [(r.start, r.size) for r in host.crash_regions] == [(0xA3000000, 128 << 20)]
    assert host.kexec_crash_loaded == 1 and host.kexec_crash_size == 128 << 20
    assert host.config == "/boot/config-6.1.0-56-amd64"
    assert host.capture_kernel == "/boot/vmlinuz-6.1.0-56-amd64"
    assert host.image is not None and host.image.size == DEBIAN_61_INIT_SIZE
    assert host.facts()["capture.load_size"] == DEBIAN_61_INIT_SIZE + 4096 + (1 << 20)


def test_config_falls_back_to_proc_config_gz(tmp_path: Path) -> None:
    root = copy_tree(HOSTS / "debian-healthy", tmp_path / "host")
    (root / "boot" / "config-6.1.0-56-amd64").rename(root / "proc" / "config.gz")
    host = read_host(str(root))
    assert host.config == "/proc/config.gz"


# --- image sizes ---------------------------------------------------------------------

def test_bzimage_init_size_and_old_protocol() -> None:
    assert image_memory(bzimage_header(0x2000000), 4096).size == 0x2000000
    old = image_memory(bzimage_header(0x2000000, version=0x0209), 5_000_000)
    assert (old.size, old.how) == (5_000_000, "file size")


def test_fixture_images_are_debian_61_headers() -> None:
    for tree, release in (("debian-healthy", "6.1.0-56-amd64"), ("fedora-healthy", "6.1.192-200.fc37.x86_64")):
        path = HOSTS / tree / "boot" / f"vmlinuz-{release}"
        assert path.read_bytes() == bzimage_header()


def test_elf_vmlinux_counts_pt_load(tmp_path: Path) -> None:
    source = tmp_path / "k.s"
    source.write_text(".section .text\n.globl _start\n_start: .fill 0x3000,1,0x90\n"
                      ".section .bss\n.lcomm buf, 0x20000\n")
    subprocess.run(["as", "--64", "-o", str(tmp_path / "k.o"), str(source)], check=True)
    subprocess.run(["ld", "-m", "elf_x86_64", "-o", str(tmp_path / "vmlinux"), str(tmp_path / "k.o")],
                   check=True)
    data = (tmp_path / "vmlinux").read_bytes()
    memory = image_memory(data[:65536], len(data))
    assert memory.how == "PT_LOAD"
    assert 0x3000 + 0x20000 <= memory.size < 0x3000 + 0x20000 + 0x2000
    # One memory model: kcheck check (the full image reader) sizes it the same.
    assert memory.size == footprint(read_image(str(tmp_path / "vmlinux")))


def test_bzimage_sized_as_kcheck_check_sizes_it() -> None:
    image = corpus_image()
    if image is None:
        pytest.skip("needs the fetched corpus's Debian 6.1 amd64 vmlinuz: run .ci/fetch-corpus")
    with image.open("rb") as f:
        data = f.read(65536)
    memory = image_memory(data, image.stat().st_size)
    assert memory.how == "init_size"
    assert memory.size == footprint(read_image(str(image)))


def test_arm64_image_size_is_the_footprint() -> None:
    """booting.rst: image_size at 0x10 is the image with its bss; 0 (before 3.17) says nothing."""
    from image_build import arm64_image

    sized = image_memory(arm64_image(image_size=0x2010000), 32_954_880)
    assert (sized.size, sized.how) == (0x2010000, "image_size")
    assert image_memory(arm64_image(image_size=0), 9_000_000).how == "file size"
