"""The options of kcheck's commands, in typer's default-value style.

Declared once here and shared by the commands of :mod:`kcheck.cli` (which
stays options-and-wiring only, within the module size limit); ``kcheck
rehearse``'s are here too, so that starting any other command imports
nothing of kcheck.rehearse.  Real annotations, so typer need not evaluate
strings at start-up.
"""

import enum

import typer


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"


class ListFormat(str, enum.Enum):
    text = "text"
    json = "json"


class FleetFormat(str, enum.Enum):
    text = "text"
    json = "json"
    junit = "junit"
    html = "html"


class FleetFailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    never = "never"


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class RehearseFormat(str, enum.Enum):
    text = "text"
    json = "json"
    junit = "junit"


class Accel(str, enum.Enum):
    auto = "auto"
    kvm = "kvm"
    tcg = "tcg"

SYSTEM_CONFIG_OPTION = typer.Option(
    None, "--system-config", metavar="PATH",
    help="System kernel .config (.gz, /proc/config.gz or an image with CONFIG_IKCONFIG).")
CAPTURE_CONFIG_OPTION = typer.Option(
    None, "--capture-config", metavar="PATH",
    help="Capture kernel .config; omitted: the system kernel is also the capture kernel.")
CMDLINE_TEXT_OPTION = typer.Option(
    None, "--cmdline", metavar="TEXT", help="The system kernel's boot command line.")
CMDLINE_FILE_OPTION = typer.Option(
    None, "--cmdline-file", metavar="PATH", help="File holding the boot command line, e.g. /proc/cmdline.")
KEXEC_TEXT_OPTION = typer.Option(
    None, "--kexec", metavar="COMMAND", help='The kexec command that loads the capture kernel, e.g. "kexec -p ...".')
KEXEC_FILE_OPTION = typer.Option(
    None, "--kexec-file", metavar="PATH", help="File holding the kexec command (e.g. from a kdump script).")
SYSTEM_IMAGE_OPTION = typer.Option(
    None, "--system-image", metavar="PATH", help="System kernel image (vmlinux or bzImage), e.g. the vmlinux kept for analysis.")
CAPTURE_IMAGE_OPTION = typer.Option(
    None, "--capture-image", metavar="PATH", help="Capture kernel image that kexec -p loads (vmlinux or bzImage).")
MEMORY_OPTION = typer.Option(
    None, "--memory", metavar="SIZE", help="The machine's RAM (e.g. 8G), to resolve crashkernel= ranges.")
VERSION_OPTION = typer.Option(
    None, "--kernel-version", metavar="X.Y.Z", help="Kernel version of both kernels, overriding the config headers.")
ARCH_OPTION = typer.Option(
    None, "--arch", metavar="ARCH", help="Architecture of both kernels (i386, x86_64, arm64, ppc64le, s390x ...).")
KEXEC_TOOLS_VERSION_OPTION = typer.Option(
    None, "--kexec-tools-version", metavar="X.Y.Z",
    help="The kexec-tools release that runs the kexec command (2.0.27+ tries kexec_file_load first).")
RULES_OPTION = typer.Option(
    None, "--rules", metavar="PATH", help="Extra rule file or directory (validated against the rule schema).")
WAIVERS_OPTION = typer.Option(
    None, "--waivers", metavar="PATH", help="TOML file of [[waiver]] tables: accepted findings, with reasons.")
JOBS_OPTION = typer.Option(
    None, "--jobs", "-j", metavar="N", min=1,
    help="Worker processes for a batch (default: one per CPU this process may use).")
OUTPUT_FORMAT_OPTION = typer.Option(Format.text, "--format", help="Report format.")
OUTPUT_OPTION = typer.Option(
    None, "--output", "-o", metavar="PATH", help="Write the report here (atomically) instead of stdout.")
FAIL_ON_OPTION = typer.Option(FailOn.error, "--fail-on", help="Lowest severity that makes the exit status 1.")
REQUIRE_COMPLETE_OPTION = typer.Option(
    False, "--require-complete",
    help="Also exit 1 when the report is INCOMPLETE: some rule that may apply could not be judged.")
VERBOSE_OPTION = typer.Option(False, "--verbose", "-v", help="Also list rules that did not apply.")
QUIET_OPTION = typer.Option(
    False, "--quiet", "-q", help="Text report: print only the failing findings and the verdict.")
PROGRESS_OPTION = typer.Option(
    None, "--progress/--no-progress",
    help="Show a batch's progress on stderr (default: only when stderr is a terminal).")
MANIFEST_OPTION = typer.Option(
    None, "--manifest", metavar="PATH", help="TOML file of [[target]] set-ups to check together.")
CONFIG_FILES_ARGUMENT = typer.Argument(..., metavar="CONFIG...", help="Kernel .config files.")
ROOT_OPTION = typer.Option(
    "/", "--root", metavar="DIR", help="Host tree to read: / for this host, or a tree captured from one.")
OUTPUT_DIR_OPTION = typer.Option(..., "--output-dir", metavar="DIR", help="Where to write fragments and commands.")
KERNEL_SRC_OPTION = typer.Option(
    None, "--kernel-src", metavar="PATH",
    help="Kernel source tree: resolve Kconfig dependencies so the fragment survives olddefconfig.")
VERIFY_WITH_KBUILD_OPTION = typer.Option(
    False, "--verify-with-kbuild", help="Also run the tree's own make olddefconfig (in a temporary O=) and compare.")
SUMMARY_FORMAT_OPTION = typer.Option(ListFormat.text, "--format", help="Summary format.")
LIST_FORMAT_OPTION = typer.Option(ListFormat.text, "--format", help="List format.")
REPORTS_ARGUMENT = typer.Argument(
    ..., metavar="REPORT...", help="kcheck JSON reports (preflight, check, --manifest) or directories of *.json.")
FLEET_FORMAT_OPTION = typer.Option(FleetFormat.text, "--format", help="Roll-up format.")
FLEET_FAIL_ON_OPTION = typer.Option(
    FleetFailOn.error, "--fail-on",
    help="error: exit 1 when a host will not capture (or was not checked); warning: also on warnings.")
RULE_ID_ARGUMENT = typer.Argument(..., metavar="ID", help="Rule id (KC001) or name.")

# --- kcheck rehearse (issue 11) ---
REHEARSE_SYSTEM_IMAGE_OPTION = typer.Option(
    None, "--system-image", metavar="PATH", help="The system kernel's bzImage (arm64: Image), booted in the VM.")
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
         "of another architecture than the host (.ci/fetch-rehearse-parts i386 arm64 unpacks Debian's).")
QUIET_PROGRESS_OPTION = typer.Option(False, "--no-progress", help="No stage-by-stage progress on stderr.")
REHEARSE_FORMAT_OPTION = typer.Option(RehearseFormat.text, "--format", help="Report format.")
