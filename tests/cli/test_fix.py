"""kcheck fix: fragments that survive olddefconfig, corrected commands, safety."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kcheck.engine.evaluate import evaluate
from kcheck.engine.loader import load_rules
from kcheck.domain.findings import Severity
from kcheck.app.pipeline import CheckRequest, read_setup
from tests.conftest import FIXTURES, run_kcheck
from tests.corpus import corpus_dir, requires_corpus
from tests.rules.harness import edit_config

OLD = FIXTURES / "2.6.13"
TREE = FIXTURES / "kconfig" / "linux-2.6.13-i386"
BROKEN_KEXEC = "kexec -l /boot/vmlinux-kdump --append='root=/dev/hda1'"


def _fragment_values(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if match := re.fullmatch(r"CONFIG_(\w+)=(.*)", line):
            values[match.group(1)] = match.group(2)
        elif match := re.fullmatch(r"# CONFIG_(\w+) is not set", line):
            values[match.group(1)] = "n"
    return values


def _merge(base: Path, fragment: Path, out: Path) -> Path:
    """merge_config.sh -m: the fragment's lines replace the base's."""
    out.write_text(edit_config(base.read_text(), _fragment_values(fragment.read_text())))
    return out


def _config_errors(system: Path, capture: Path | None, **extra: str) -> set[str]:
    setup = read_setup(CheckRequest(system_config=str(system),
                                    capture_config=str(capture) if capture else None, **extra))
    return {r.rule for r in evaluate(load_rules(), setup)
            if r.finding and r.finding.severity is Severity.ERROR and r.concerns in ("system", "capture")}


def test_plain_fix_writes_commented_fragments_and_commands(tmp_path: Path) -> None:
    out = tmp_path / "out"
    broken_capture = tmp_path / "capture.config"
    broken_capture.write_text(edit_config((OLD / "capture.config").read_text(),
                                          {"CRASH_DUMP": "n", "SMP": "y", "X86_UP_APIC": "absent"}))
    result = run_kcheck("fix", "--output-dir", str(out), "--system-config", str(OLD / "system.config"),
                        "--capture-config", str(broken_capture), "--cmdline", "ro root=/dev/hda1 crashkernel=64M",
                        "--kexec", BROKEN_KEXEC)
    assert result.returncode == 0, result.stdout + result.stderr
    fragment = (out / "capture.config").read_text()
    assert "dependencies NOT resolved" in fragment
    assert "# kcheck: KC001\nCONFIG_CRASH_DUMP=y" in fragment
    assert "# CONFIG_SMP is not set" in fragment
    assert not any(line.startswith("# CONFIG_") and "is not set" not in line for line in fragment.splitlines()), \
        "a comment that merge_config.sh would read as a config line"
    assert not (out / "system.config").exists(), "the system kernel needs nothing"
    assert (out / "cmdline").read_text() == "ro root=/dev/hda1 crashkernel=64M@16M\n"
    kexec = (out / "kexec").read_text().strip()
    assert kexec.startswith("kexec ") and " -p" in kexec and " -l" not in kexec
    for wanted in ("--args-linux", "--elf32-core-headers", "irqpoll", "1"):
        assert wanted in kexec.split() or wanted in kexec
    merged = _merge(broken_capture, out / "capture.config", tmp_path / "merged.config")
    assert _config_errors(OLD / "system.config", merged) == set()
    # the corrected commands check clean too
    report = json.loads(run_kcheck("check", "--system-config", str(OLD / "system.config"),
                                   "--capture-config", str(merged), "--cmdline-file", str(out / "cmdline"),
                                   "--kexec-file", str(out / "kexec"), "--format", "json").stdout)
    assert [f["rule"] for f in report["findings"]] == []
    assert "summary.txt" in {p.name for p in out.iterdir()}


def test_same_kernel_fragment_carries_both_needs_and_reports_conflicts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_kcheck("fix", "--output-dir", str(out), "--system-config", str(OLD / "system.config"),
                        "--cmdline-file", str(OLD / "cmdline"), "--kexec-file", str(OLD / "kexec"),
                        "--format", "json")
    summary = json.loads(result.stdout)
    assert summary["files"] == ["summary.txt", "system.config"], "the commands were already right"
    fragment = _fragment_values((out / "system.config").read_text())
    assert fragment["CRASH_DUMP"] == "y" and fragment["SMP"] == "n"  # capture needs in system.config
    conflicts = [m for m in summary["manual"] if "conflicts" in m["reason"]]
    assert conflicts and "PHYSICAL_START" in conflicts[0]["what"], summary["manual"]
    assert result.returncode == 1


def test_resolved_fix_on_the_2613_model_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    base = TREE / "smp-nohighmem.config"
    result = run_kcheck("fix", "--kernel-src", str(TREE), "--output-dir", str(out),
                        "--system-config", str(OLD / "system.config"), "--capture-config", str(base),
                        "--cmdline-file", str(OLD / "cmdline"),
                        "--kexec", (OLD / "kexec").read_text().strip() + " --initrd=/boot/initrd-kdump",
                        "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    (capture,) = [f for f in summary["fragments"] if f["kernel"] == "capture"]
    assert capture["resolved"] and not capture["unresolved"]
    lines = {entry["line"] for entry in capture["lines"]}
    assert {"CONFIG_CRASH_DUMP=y", "CONFIG_EMBEDDED=y", "CONFIG_EXPERIMENTAL=y", "CONFIG_HIGHMEM4G=y",
            "# CONFIG_SMP is not set", "CONFIG_X86_UP_APIC=y", "CONFIG_X86_UP_IOAPIC=y"} <= lines
    # apply it the way merge_config.sh + olddefconfig do, then check again
    from kcheck.kconfig.resolve import apply_fragment
    from kcheck.kconfig.tree import load_kconfig

    kconf = load_kconfig(str(TREE), "i386")
    values = apply_fragment(kconf, str(base), _fragment_values((out / "capture.config").read_text()))
    merged = tmp_path / "olddefconfig.config"
    merged.write_text("# Linux kernel version: 2.6.13\n" + "".join(
        f"CONFIG_{k}={v}\n" if v != "n" else f"# CONFIG_{k} is not set\n" for k, v in values.items()))
    assert _config_errors(OLD / "system.config", merged, cmdline=(OLD / "cmdline").read_text()) == set()


def test_resolved_fix_explains_what_it_adds(tmp_path: Path) -> None:
    """A request whose dependencies no rule names gets them added, with the reason in words."""
    from kcheck.fixers.kconfig_fix import resolved_fragment
    from kcheck.fixers.plan import Requested

    fragment = resolved_fragment("capture", {"X86_UP_APIC": Requested("X86_UP_APIC", "y", ("KC008",))},
                                 kernel_src=str(TREE), arch="i386",
                                 base_config=str(TREE / "smp-nohighmem.config"), verify_with_kbuild=False)
    added = dict(fragment.lines)
    assert added["# CONFIG_SMP is not set"].startswith("CONFIG_X86_UP_APIC needs")
    assert not fragment.unresolved


@pytest.mark.parametrize(("args", "message"), [
    (["--verify-with-kbuild"], "--verify-with-kbuild needs --kernel-src"),
    (["--kernel-src", "/nonexistent"], "not a kernel source tree"),
])
def test_fix_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_kcheck("fix", "--output-dir", str(tmp_path / "o"), "--system-config",
                        str(OLD / "system.config"), "--capture-config", str(TREE / "smp-nohighmem.config"), *args)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_fix_never_writes_over_an_input(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    capture = inputs / "capture.config"
    capture.write_text(edit_config((OLD / "capture.config").read_text(), {"CRASH_DUMP": "n"}))
    before = capture.read_bytes()
    result = run_kcheck("fix", "--output-dir", str(inputs), "--system-config", str(OLD / "system.config"),
                        "--capture-config", str(capture))
    assert result.returncode == 2 and "refusing to write output over an input" in result.stderr
    assert capture.read_bytes() == before


@requires_corpus("i386_none_686")
def test_real_61_tree_brings_crash_dump_back_and_survives_olddefconfig(tmp_path: Path) -> None:
    tree = corpus_dir() / "linux-6.1"  # type: ignore[operator]
    if not (tree / "Kconfig").is_file():
        pytest.skip("no linux-6.1 tree: run .ci/fetch-kernel-source")
    base = tmp_path / "686-nohighmem.config"
    base.write_text(edit_config((corpus_dir() / "configs" / "i386_none_686.config").read_text(),  # type: ignore[operator]
                                {"HIGHMEM4G": "n", "NOHIGHMEM": "y", "CRASH_DUMP": "n", "HIGHMEM": "absent",
                                 "PROC_VMCORE": "absent"}))
    out = tmp_path / "out"
    result = run_kcheck("fix", "--kernel-src", str(tree), "--verify-with-kbuild", "--output-dir", str(out),
                        "--system-config", str(base), "--format", "json")
    summary = json.loads(result.stdout)
    (system,) = summary["fragments"]
    lines = {entry["line"] for entry in system["lines"]}
    assert {"CONFIG_CRASH_DUMP=y", "CONFIG_HIGHMEM4G=y"} <= lines
    assert system["unresolved"] == {} and system["kbuild_disagrees"] == {}
    assert result.returncode == 0, result.stdout


# A tree where kexec_load cannot be built (KEXEC depends on a symbol this
# "architecture" lacks) but kexec_file_load can: the shape of a 6.x kernel.
NO_KEXEC_LOAD_TREE = """mainmenu "no kexec_load"
config MODULES
\tbool "modules"
\tmodules
config X86_64
\tdef_bool y
config X86
\tdef_bool y
config 64BIT
\tdef_bool y
config KEXEC
\tbool "kexec_load"
\tdepends on ARCH_HAS_KEXEC_LOAD
config KEXEC_FILE
\tbool "kexec_file_load"
config KEXEC_SIG
\tbool "verify the image"
\tdepends on KEXEC_FILE
config CRASH_DUMP
\tbool "crash dumps"
\tdepends on KEXEC || KEXEC_FILE
config PROC_FS
\tdef_bool y
config PROC_VMCORE
\tbool "/proc/vmcore"
\tdepends on CRASH_DUMP && PROC_FS
\tdefault y
config SYSFS
\tdef_bool y
config RELOCATABLE
\tdef_bool y
"""


def test_a_need_met_another_way_is_not_reported(tmp_path: Path) -> None:
    """KS001 asks for KEXEC; KEXEC cannot be set here, but KS009's KEXEC_FILE=y meets KS001."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Kconfig").write_text(NO_KEXEC_LOAD_TREE)
    (tree / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n")
    config = tmp_path / "system.config"
    config.write_text("# Linux/x86 6.12.0 Kernel Configuration\nCONFIG_X86_64=y\nCONFIG_X86=y\nCONFIG_64BIT=y\n"
                      "CONFIG_PROC_FS=y\nCONFIG_SYSFS=y\nCONFIG_RELOCATABLE=y\n# CONFIG_KEXEC_FILE is not set\n")
    out = tmp_path / "out"
    result = run_kcheck("fix", "--kernel-src", str(tree), "--output-dir", str(out), "--system-config", str(config),
                        "--cmdline", "root=/dev/sda1 lockdown=integrity crashkernel=256M", "--format", "json")
    summary = json.loads(result.stdout)
    (system,) = summary["fragments"]
    lines = [entry["line"] for entry in system["lines"]]
    assert "CONFIG_KEXEC_FILE=y" in lines and "CONFIG_CRASH_DUMP=y" in lines
    assert "CONFIG_KEXEC=y" not in lines and "CONFIG_KEXEC_FILE=y" in (out / "system.config").read_text()
    (met,) = [m for m in summary["met_otherwise"] if m["what"] == "CONFIG_KEXEC=y"]
    assert met["rule"] == "KS001" and "CONFIG_ARCH_HAS_KEXEC_LOAD" in met["reason"]
    assert not any(m["rule"] == "KS001" for m in summary["unmet"]), summary["unmet"]
    assert "not needed (the rule is met by the resolved config)" in (out / "summary.txt").read_text()


def test_no_kdump_architecture_without_a_tree(tmp_path: Path) -> None:
    """A sparc64 config: no fragment that pretends CRASH_DUMP=y would work, exit 1, the reason in words."""
    config = tmp_path / "sparc64.config"
    config.write_text("# Linux/sparc64 6.12.0 Kernel Configuration\nCONFIG_SPARC=y\nCONFIG_SPARC64=y\n"
                      "CONFIG_64BIT=y\n# CONFIG_CRASH_DUMP is not set\nCONFIG_PROC_FS=y\n")
    out = tmp_path / "out"
    result = run_kcheck("fix", "--output-dir", str(out), "--system-config", str(config), "--format", "json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["fragments"] == [] and not summary["complete"]
    assert summary["impossible"] == ["system kernel: sparc64: this architecture cannot take kdump dumps (its Kconfig "
                                     "has no ARCH_SUPPORTS_CRASH_DUMP, so CONFIG_CRASH_DUMP cannot be set)"]
    assert sorted(p.name for p in out.iterdir()) == ["summary.txt"]
    again = run_kcheck("fix", "--output-dir", str(tmp_path / "o2"), "--system-config", str(OLD / "system.config"),
                       "--arch", "sparc64")
    assert again.returncode == 1 and "this architecture cannot take kdump dumps" in again.stdout


def test_kexec_s_is_not_written_where_the_config_cannot_have_kexec_file(tmp_path: Path) -> None:
    """i386 locked down: KX019 would add -s, which needs KEXEC_FILE, which i386 does not have."""
    config = tmp_path / "i386.config"
    config.write_text("# Linux/x86 6.12.0 Kernel Configuration\nCONFIG_X86_32=y\nCONFIG_X86=y\nCONFIG_KEXEC=y\n"
                      "CONFIG_CRASH_DUMP=y\nCONFIG_HIGHMEM4G=y\nCONFIG_HIGHMEM=y\nCONFIG_PROC_FS=y\n"
                      "CONFIG_PROC_VMCORE=y\nCONFIG_SYSFS=y\nCONFIG_RELOCATABLE=y\n")
    out = tmp_path / "out"
    kexec = "kexec -p /boot/vmlinuz --initrd=/boot/initrd.img --append='root=/dev/sda1 irqpoll nr_cpus=1 reset_devices'"
    result = run_kcheck("fix", "--output-dir", str(out), "--system-config", str(config), "--format", "json",
                        "--cmdline", "root=/dev/sda1 lockdown=integrity crashkernel=256M", "--kexec", kexec)
    summary = json.loads(result.stdout)
    assert summary["kexec"] is None or " -s" not in summary["kexec"]
    fragment = (out / "system.config").read_text() if (out / "system.config").exists() else ""
    assert "KEXEC_FILE" not in fragment
    reasons = " ".join(m["reason"] for m in summary["manual"] if m["rule"] == "KX019")
    assert "no kexec_file_load" in reasons or "CONFIG_KEXEC_FILE does not exist on i386" in reasons
    assert result.returncode == 1


def test_kexec_s_brings_kexec_file_where_the_config_can_have_it(tmp_path: Path) -> None:
    """x86_64 locked down without KEXEC_FILE: -s is written together with CONFIG_KEXEC_FILE=y."""
    config = tmp_path / "x86_64.config"
    config.write_text("# Linux/x86 6.12.0 Kernel Configuration\nCONFIG_X86_64=y\nCONFIG_X86=y\nCONFIG_64BIT=y\n"
                      "CONFIG_KEXEC=y\n# CONFIG_KEXEC_FILE is not set\nCONFIG_CRASH_DUMP=y\nCONFIG_PROC_FS=y\n"
                      "CONFIG_PROC_VMCORE=y\nCONFIG_SYSFS=y\nCONFIG_RELOCATABLE=y\n")
    out = tmp_path / "out"
    kexec = "kexec -p /boot/vmlinuz --initrd=/boot/initrd.img --append='root=/dev/sda1 irqpoll nr_cpus=1 reset_devices'"
    result = run_kcheck("fix", "--output-dir", str(out), "--system-config", str(config), "--format", "json",
                        "--cmdline", "root=/dev/sda1 lockdown=integrity crashkernel=256M", "--kexec", kexec)
    summary = json.loads(result.stdout)
    assert " -s " in f" {summary['kexec']} "
    assert "CONFIG_KEXEC_FILE=y" in (out / "system.config").read_text()
