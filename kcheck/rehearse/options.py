"""The options of ``kcheck rehearse``, in typer's default-value style (see :mod:`kcheck.cli`).

They live beside the rehearsal so that kcheck/cli.py stays within the module
size limit; cli.py declares the command with them.
"""

import enum

import typer


class RehearseFormat(str, enum.Enum):
    text = "text"
    json = "json"
    junit = "junit"


class Accel(str, enum.Enum):
    auto = "auto"
    kvm = "kvm"
    tcg = "tcg"


REHEARSE_SYSTEM_IMAGE_OPTION = typer.Option(
    None, "--system-image", metavar="PATH", help="The system kernel's bzImage, booted in the VM.")
REHEARSE_CAPTURE_IMAGE_OPTION = typer.Option(
    None, "--capture-image", metavar="PATH", help="The file kexec loads as the capture kernel (default: the system image).")
CAPTURE_INITRD_OPTION = typer.Option(
    None, "--capture-initrd", metavar="PATH", help="Your own capture initrd (default: kcheck's probe initrd).")
OVERLAY_PROBE_OPTION = typer.Option(
    False, "--overlay-probe", help="Append the probe to --capture-initrd: your initrd's size, the probe's /init.")
SUCCESS_PATTERN_OPTION = typer.Option(
    None, "--success-pattern", metavar="REGEX", help="What --capture-initrd prints once the dump is saved.")
VM_MEMORY_OPTION = typer.Option("1G", "--vm-memory", metavar="SIZE", help="The VM's RAM.")
VM_CPUS_OPTION = typer.Option(1, "--vm-cpus", metavar="N", min=1, max=64, help="The VM's CPU count.")
QEMU_OPTION = typer.Option(None, "--qemu", metavar="PATH", help="QEMU binary (default: qemu-system-<arch> on PATH).")
ACCEL_OPTION = typer.Option(Accel.auto, "--accel", help="auto: KVM only once a KVM guest is proved to run.")
TIMEOUT_OPTION = typer.Option(240.0, "--timeout", metavar="SECONDS", min=5, help="Stop the VM after this long.")
CONSOLE_LOG_OPTION = typer.Option(None, "--console-log", metavar="PATH", help="Save the VM's serial console here.")
FIND_MIN_OPTION = typer.Option(
    False, "--find-min-crashkernel", help="Bisect the smallest crashkernel= that still gives a readable dump.")
GUEST_ROOT_OPTION = typer.Option(
    None, "--guest-root", metavar="DIR",
    help="Take busybox, kexec and makedumpfile (and their libraries) from this directory, for a VM "
         "of another architecture than the host (.ci/fetch-rehearse-parts i386 unpacks Debian's).")
QUIET_PROGRESS_OPTION = typer.Option(False, "--no-progress", help="No stage-by-stage progress on stderr.")
REHEARSE_FORMAT_OPTION = typer.Option(RehearseFormat.text, "--format", help="Report format.")
