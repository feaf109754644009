"""Outputs under hostile conditions (issue 7): never over an input, always atomic.

kcheck refuses to write a report, fragment or summary over any file it read
(the same path, a symlink or a hard link to it, an input named in a
manifest, a pre-flight host file), and a write that fails (no room, no
directory) leaves nothing half-written.  Runs through the real CLI with the
limits of test_bad_input_table.py.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.hostile.test_bad_input_table import HOST, OLD, assert_error, run_bounded

# --- outputs ------------------------------------------------------------------


def _inputs(tmp: Path) -> dict[str, Path]:
    files = {
        "config": tmp / "system.config", "capture": tmp / "capture.config", "cmdline": tmp / "cmdline",
        "kexec": tmp / "kexec", "waivers": tmp / "waivers.toml", "rules": tmp / "rules.toml",
    }
    shutil.copy(OLD / "system.config", files["config"])
    shutil.copy(OLD / "capture.config", files["capture"])
    shutil.copy(OLD / "cmdline", files["cmdline"])
    shutil.copy(OLD / "kexec", files["kexec"])
    shutil.copy(FIXTURES / "ci" / "waivers.toml", files["waivers"])
    files["rules"].write_text(
        '[[rule]]\nid = "XX001"\nname = "extra-rule"\ntitle = "An extra rule"\nseverity = "info"\n'
        'kernel = "system"\nwhy = "an extra rule file is an input too"\nsource = "tests"\n'
        'check = { config = "KEXEC", is = "y" }\nmessage = "CONFIG_KEXEC is off"\n')
    return files


def _check_args(files: dict[str, Path]) -> list[str]:
    return ["check", "--system-config", str(files["config"]), "--capture-config", str(files["capture"]),
            "--cmdline-file", str(files["cmdline"]), "--kexec-file", str(files["kexec"]),
            "--waivers", str(files["waivers"]), "--rules", str(files["rules"])]


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
@pytest.mark.parametrize("which", ["config", "capture", "cmdline", "kexec", "waivers", "rules"])
def test_output_over_an_input_is_refused(tmp_path: Path, which: str, how: str) -> None:
    files = _inputs(tmp_path)
    before = {name: path.read_bytes() for name, path in files.items()}
    output = files[which]
    if how != "same path":
        output = tmp_path / "report.txt"
        output.symlink_to(files[which]) if how == "symlink" else os.link(files[which], output)
    result = run_bounded(*_check_args(files), "--output", str(output), cwd=tmp_path)
    assert_error(result, str(output), "refusing to write output over an input file")
    assert {name: path.read_bytes() for name, path in files.items()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kcheck-")]


def test_output_over_the_manifest_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.toml"
    shutil.copytree(OLD, tmp_path / "2.6.13")
    text = (FIXTURES / "ci" / "manifest.toml").read_text().replace("../2.6.13/", "2.6.13/")
    manifest.write_text(text)
    for output in (manifest, tmp_path / "2.6.13" / "system.config"):
        before = output.read_bytes()
        result = run_bounded("check", "--manifest", str(manifest), "-o", str(output), cwd=tmp_path)
        assert_error(result, str(output), "refusing to write output over an input file")
        assert output.read_bytes() == before


def test_lint_configs_output_over_a_config_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "x86_64-6.1.config"
    shutil.copy(FIXTURES / "ci" / "x86_64-6.1.config", config)
    before = config.read_bytes()
    assert_error(run_bounded("lint-configs", str(config), "-o", str(config), cwd=tmp_path), str(config),
                 "refusing to write output over an input file")
    assert config.read_bytes() == before


def test_fix_output_dir_holding_an_input_refuses_before_writing_anything(tmp_path: Path) -> None:
    """The cmdline file lives where `kcheck fix` wants to write its corrected `cmdline`."""
    out = tmp_path / "out"
    out.mkdir()
    cmdline = out / "cmdline"
    cmdline.write_text("ro root=/dev/hda1\n")  # no crashkernel=: fix writes a corrected cmdline
    config = out / "system.config"
    shutil.copy(OLD / "system.config", config)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run_bounded("fix", "--output-dir", str(out), "--system-config", str(config),
                         "--capture-config", str(OLD / "capture.config"), "--cmdline-file", str(cmdline),
                         "--kexec", (OLD / "kexec").read_text().strip(), cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode == 2, result.stderr
    assert result.stderr.startswith("kcheck: error: ") and "refusing to write output over an input file" \
        in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing written, nothing left


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the write fail half-way (EFBIG): the old report stays whole."""
    report = tmp_path / "report.json"
    report.write_text("previous report\n")
    result = run_bounded("check", "--system-config", str(OLD / "system.config"), "--format", "json",
                         "-o", str(report), cwd=tmp_path, fsize=256)
    assert_error(result, str(report), "cannot write: File too large")
    assert report.read_text() == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_output_into_a_missing_directory(tmp_path: Path) -> None:
    output = tmp_path / "no" / "such" / "dir" / "report.txt"
    result = run_bounded("check", "--system-config", str(OLD / "system.config"), "-o", str(output))
    assert_error(result, str(output), "cannot write: No such file or directory")
    assert not (tmp_path / "no").exists()


def test_config_gz_input_never_written(tmp_path: Path) -> None:
    """A gzipped input is still an input: refused as an output, byte-identical after."""
    path = tmp_path / "config.gz"
    path.write_bytes(gzip.compress((OLD / "system.config").read_bytes(), mtime=0))
    before = path.read_bytes()
    assert_error(run_bounded("check", "--system-config", str(path), "-o", str(path), cwd=tmp_path), str(path),
                 "refusing to write output over an input file")
    assert path.read_bytes() == before


@pytest.mark.parametrize("host_file", ["/etc/default/kdump-tools", "/proc/cmdline", "/proc/iomem",
                                       "/boot/config-6.1.0-56-amd64", "/var/lib/kdump/vmlinuz",
                                       "/boot/vmlinuz-6.1.0-56-amd64"])
def test_preflight_output_over_a_host_file_is_refused(tmp_path: Path, host_file: str) -> None:
    """`kcheck preflight --root / -o /etc/default/kdump-tools` must not replace the host's settings."""
    root = tmp_path / "root"
    shutil.copytree(HOST, root, symlinks=True)
    output = root / host_file.lstrip("/")
    before = {p: (os.readlink(p) if p.is_symlink() else p.read_bytes()) for p in root.rglob("*")
              if p.is_symlink() or p.is_file()}
    result = run_bounded("preflight", "--root", str(root), "-o", str(output), cwd=tmp_path)
    assert_error(result, str(output), "refusing to write output over an input file")
    after = {p: (os.readlink(p) if p.is_symlink() else p.read_bytes()) for p in root.rglob("*")
             if p.is_symlink() or p.is_file()}
    assert after == before
