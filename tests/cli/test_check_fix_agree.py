"""``kcheck check`` advises what ``kcheck fix`` writes, on 2.6.13, 6.1 and 6.12 set-ups.

Both come from the same place (the rules' fix variants, filled in with the
set-up's facts such as ``boot.crashkernel.advised``); this runs both commands
as real processes on the same inputs and compares what they say.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.config_subsets import subset_path
from tests.conftest import FIXTURES, run_kcheck
from tests.modern_setups import modern_setup

OLD = FIXTURES / "2.6.13"


def _modern(release: str, cmdline: str) -> list[str]:
    subset = subset_path(release, "amd64_none_amd64")
    assert subset is not None
    setup = modern_setup("amd64_none_amd64", subset)
    return ["--system-config", str(subset), "--cmdline", cmdline, "--kexec", setup["kexec"],
            "--memory", setup["memory"]]


SETUPS = {
    # kdump.txt's set-up without crashkernel=: its own 64M@16M.
    "2.6.13-no-crashkernel": (["--system-config", str(OLD / "system.config"),
                               "--capture-config", str(OLD / "capture.config"), "--cmdline", "ro root=/dev/hda1",
                               "--kexec-file", str(OLD / "kexec")], "crashkernel=64M@16M"),
    # 2.6.13's form on a 6.1 KASLR kernel: KB005 and KB007 both advise the one size.
    "6.1-old-form": (_modern("6.1", "root=/dev/sda1 ro crashkernel=64M@16M"), "crashkernel=256M"),
    "6.12-no-crashkernel": (_modern("6.12", "root=/dev/sda1 ro"), "crashkernel=256M"),
}


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_check_advises_what_fix_writes(name: str, tmp_path: Path) -> None:
    args, token = SETUPS[name]
    check = run_kcheck("check", "--format", "json", "--fail-on", "never", *args)
    assert check.returncode == 0, check.stderr
    advised = {t for f in json.loads(check.stdout)["findings"] for t in f["fix"].get("cmdline_add", ())}
    assert advised == {token}, f"kcheck check advises {advised}"
    out = tmp_path / "fix"
    fix = run_kcheck("fix", "--output-dir", str(out), "--format", "json", *args)
    summary = json.loads(fix.stdout)
    assert summary["manual"] == [], summary["manual"]
    assert token in summary["cmdline"].split()
    assert [word for word in summary["cmdline"].split() if word.startswith("crashkernel=")] == [token]
    assert fix.returncode == 0, fix.stdout + fix.stderr
    # The written command line checks clean of every boot-line rule.
    fixed_args = list(args)
    fixed_args[fixed_args.index("--cmdline") + 1] = summary["cmdline"]
    recheck = run_kcheck("check", "--format", "json", "--fail-on", "never", *fixed_args)
    left = [f["rule"] for f in json.loads(recheck.stdout)["findings"] if f["rule"].startswith("KB")]
    assert left == []
