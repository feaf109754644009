"""kcheck fix on Debian's real 6.12 and 6.1 trees, held to the kernel's own kconfig tools.

Each case starts from the tree's own defconfig for the architecture, broken
the way users break kdump set-ups (options off in either kernel; a fix that
must go through a promptless symbol, a choice or a chain of `depends on`),
and normalised by the tree's `make olddefconfig` first.  Then:

* the fragment, merged as `merge_config.sh -m` merges and passed through
  `make olddefconfig`, keeps every line (fix never writes a line the kernel drops);
* `kcheck check` on the merged configs and the corrected commands is clean;
* impossible cases are reported as impossible, with the reason, and exit 1.

`make` runs in one O= per (tree, ARCH) for the session (tests/kbuild.py), so
`scripts/kconfig/conf` is built once per architecture.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import run_kcheck
from tests.kbuild import Kbuild, edit, missing_tools, tree, values

CMDLINE = "root=/dev/sda1 ro crashkernel=512M"
KEXEC = ("kexec -p /boot/vmlinuz-kdump --initrd=/boot/initrd-kdump.img "
         "--append='root=/dev/sda1 irqpoll nr_cpus=1 reset_devices'")
OFF = {"KEXEC": "n", "KEXEC_FILE": "n", "CRASH_DUMP": "n", "PROC_VMCORE": "n"}


@dataclass(frozen=True)
class Case:
    id: str
    arch: str                      # kcheck --arch
    karch: str                     # the kernel's ARCH=
    defconfig: str                 # arch/<SRCARCH>/configs/<name>
    system: dict[str, str]         # edits to the system kernel's config
    capture: dict[str, str] | None = None  # edits for a separate capture kernel (None: one kernel)
    cmdline: str = CMDLINE
    kexec: str = KEXEC
    # Lines the fragment must hold (per kernel), per series; the point of the case.
    expect: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    impossible: str | None = None  # the words the summary must give


CASES = [
    Case("x86_64-kdump-off", "x86_64", "x86_64", "x86_64_defconfig", OFF,
         expect={"6.12": {"system": ("CONFIG_KEXEC=y", "CONFIG_CRASH_DUMP=y")}}),
    # 6.9+: CRASH_DUMP depends on KEXEC_CORE, which only KEXEC/KEXEC_FILE select.
    Case("x86_64-capture-kdump-off", "x86_64", "x86_64", "x86_64_defconfig", {},
         capture={**OFF, "RELOCATABLE": "n"},
         expect={"6.12": {"capture": ("CONFIG_CRASH_DUMP=y", "CONFIG_KEXEC=y")}}),
    # ARCH_SUPPORTS_CRASH_DUMP = X86_64 || (X86_32 && HIGHMEM): through a promptless symbol and a choice.
    Case("i386-nohighmem", "i386", "i386", "i386_defconfig",
         {"HIGHMEM4G": "n", "NOHIGHMEM": "y", "CRASH_DUMP": "n"},
         expect={"6.12": {"system": ("CONFIG_CRASH_DUMP=y", "CONFIG_HIGHMEM4G=y")},
                 "6.1": {"system": ("CONFIG_CRASH_DUMP=y", "CONFIG_HIGHMEM4G=y")}}),
    # Locked down: only kexec_file_load works, and i386 has none.
    Case("i386-lockdown", "i386", "i386", "i386_defconfig", {"CRASH_DUMP": "n"},
         cmdline=CMDLINE + " lockdown=integrity", impossible="no kexec_file_load"),
    # ARCH_SUPPORTS_KEXEC = PM_SLEEP_SMP (6.12; 6.1: KEXEC depends on PM_SLEEP_SMP): a depends-on chain.
    Case("arm64-no-suspend", "arm64", "arm64", "defconfig",
         {**OFF, "SUSPEND": "n", "HIBERNATION": "n"},
         # PM_SLEEP needs SUSPEND or HIBERNATE_CALLBACKS: either line is a right fix.
         expect={"6.12": {"system": ("CONFIG_KEXEC=y",)}, "6.1": {"system": ("CONFIG_KEXEC=y",)}}),
    # ARCH_SUPPORTS_KEXEC = (!SMP || PM_SLEEP_SMP) && MMU: SUSPEND=y, not SMP=n.
    Case("arm-no-suspend", "arm", "arm", "multi_v7_defconfig",
         {**OFF, "SUSPEND": "n", "HIBERNATION": "n", "AUTO_ZRELADDR": "n"},
         expect={"6.12": {"system": ("CONFIG_KEXEC=y", "CONFIG_CRASH_DUMP=y", "CONFIG_SUSPEND=y")}}),
    Case("riscv64-kdump-off", "riscv64", "riscv", "defconfig", OFF, capture={"CRASH_DUMP": "n"},
         expect={"6.12": {"system": ("CONFIG_CRASH_DUMP=y",), "capture": ("CONFIG_CRASH_DUMP=y",)}}),
    Case("sparc64-no-kdump", "sparc64", "sparc64", "sparc64_defconfig", {},
         impossible="this architecture cannot take kdump dumps"),
]


@pytest.fixture(scope="module")
def kbuild(tmp_path_factory: pytest.TempPathFactory) -> Kbuild:
    if missing_tools():
        pytest.skip(f"the kernel's make olddefconfig needs {', '.join(missing_tools())}")
    return Kbuild(tmp_path_factory.mktemp("kbuild"))


def _fix(case: Case, src: Path, sys_cfg: Path, cap_cfg: Path | None, out: Path) -> tuple[int, dict]:
    args = ["fix", "--kernel-src", str(src), "--arch", case.arch, "--output-dir", str(out),
            "--system-config", str(sys_cfg), "--cmdline", case.cmdline, "--kexec", case.kexec,
            "--format", "json"]
    if cap_cfg is not None:
        args += ["--capture-config", str(cap_cfg)]
    result = run_kcheck(*args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("series", ["6.12", "6.1"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fix_survives_the_kernels_own_tools(case: Case, series: str, kbuild: Kbuild, tmp_path: Path) -> None:
    src = tree(series)
    base = kbuild.defconfig(src, case.karch, case.defconfig)
    configs: dict[str, str] = {"system": kbuild.olddefconfig(src, case.karch, edit(base, case.system))}
    if case.capture is not None:
        configs["capture"] = kbuild.olddefconfig(src, case.karch, edit(base, case.capture))
    paths = {}
    for kernel, text in configs.items():
        paths[kernel] = tmp_path / f"{kernel}.config"
        paths[kernel].write_text(text)
    out = tmp_path / "out"
    status, summary = _fix(case, src, paths["system"], paths.get("capture"), out)
    report = (out / "summary.txt").read_text()

    # Every written line survives merge_config.sh -m + make olddefconfig.
    merged = dict(configs)
    for fragment in summary["fragments"]:
        kernel = fragment["kernel"]
        text = (out / f"{kernel}.config").read_text() if fragment["lines"] else ""
        assert [e["line"] for e in fragment["lines"]] == [
            line for line in text.splitlines() if line and not line.startswith("# kcheck")]
        if not text:
            continue
        merged[kernel] = kbuild.merge(src, case.karch, configs[kernel], text)
        after = values(merged[kernel])
        dropped = {n: (v, after.get(n, "absent")) for n, v in values(text).items() if after.get(n, "n") != v}
        assert dropped == {}, f"the kernel's olddefconfig drops fragment lines: {dropped}\n{report}"
    for kernel, wanted in case.expect.get(series, {}).items():
        (fragment,) = [f for f in summary["fragments"] if f["kernel"] == kernel]
        assert set(wanted) <= {e["line"] for e in fragment["lines"]}, report

    if case.impossible is not None:
        assert status == 1 and not summary["complete"], report
        assert case.impossible in report, report
        if "cannot take kdump dumps" in case.impossible:
            assert summary["fragments"] == [] and not (out / "system.config").exists()
        return
    assert status == 0 and summary["complete"], report
    # The re-check of the merged configs and corrected commands is clean.
    for kernel, text in merged.items():
        (tmp_path / f"merged-{kernel}.config").write_text(text)
    check = ["check", "--arch", case.arch, "--system-config", str(tmp_path / "merged-system.config"),
             "--cmdline", summary["cmdline"] or case.cmdline, "--kexec", summary["kexec"] or case.kexec,
             "--format", "json", "--fail-on", "warning"]
    if "capture" in merged:
        check += ["--capture-config", str(tmp_path / "merged-capture.config")]
    result = run_kcheck(*check)
    findings = [(f["rule"], f["severity"], f["message"]) for f in json.loads(result.stdout)["findings"]
                if f["severity"] in ("error", "warning")]
    assert findings == [], report
