"""Set-ups for the CI-output tests: the 2.6.13 fixtures and broken copies of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import FIXTURES, ROOT

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
OLD = FIXTURES / "2.6.13"


@dataclass(frozen=True)
class Broken:
    """A 2.6.13 set-up with known defects at known lines."""

    capture_config: Path
    cmdline_file: Path
    kexec_file: Path
    smp_line: int          # CONFIG_SMP=y in the capture config: KC007 (error)
    args: tuple[str, ...]


def broken_setup(directory: Path) -> Broken:
    """SMP capture kernel (KC007), no /proc/vmcore (KC006, warning), no irqpoll (KX008, warning),
    crashkernel= without @address (KB002, error on 2.6.13)."""
    lines = (OLD / "capture.config").read_text().splitlines()
    smp = lines.index("# CONFIG_SMP is not set")
    lines[smp] = "CONFIG_SMP=y"
    lines = [line for line in lines if line != "CONFIG_PROC_VMCORE=y"]
    capture = directory / "capture.config"
    capture.write_text("\n".join(lines) + "\n")
    cmdline = directory / "cmdline"
    cmdline.write_text("ro root=/dev/hda1 crashkernel=64M\n")
    kexec = directory / "kexec"
    kexec.write_text((OLD / "kexec").read_text().replace(" irqpoll", ""))
    args = ("--system-config", str(OLD / "system.config"), "--capture-config", str(capture),
            "--cmdline-file", str(cmdline), "--kexec-file", str(kexec))
    return Broken(capture, cmdline, kexec, smp + 1, args)


def good_args() -> tuple[str, ...]:
    return ("--system-config", str(OLD / "system.config"), "--capture-config", str(OLD / "capture.config"),
            "--cmdline-file", str(OLD / "cmdline"), "--kexec-file", str(OLD / "kexec"))


def run_kcheck(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m kcheck`` as conftest's runner, but importing this tree's kcheck from any
    working directory (the venv's editable install points elsewhere)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "kcheck", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=120)
