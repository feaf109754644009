"""--manifest at fleet scale: flat memory, each input read once, reports streamed in order, valid documents.

Speed is measured by bench/bench_batch.py, never here; these tests check the
properties that make a batch of thousands of targets fit: memory that does
not grow per target (measured as the child's ru_maxrss), counters of files
read and configs parsed, the order and validity of what is streamed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from kcheck.app.batch import BatchOptions, load_manifest, run_batch, write_batch
from kcheck.inputs.cache import CachedReader
from kcheck.domain.findings import Severity
from kcheck.app.pipeline import Reader
from kcheck.app.progress import Progress
from kcheck.reporters import render
from tests.ci_common import OLD, SARIF_SCHEMA, broken_setup
from tests.conftest import ROOT
from tests.cli.test_manifest import batch_validator

FORMATS = ("text", "json", "sarif", "junit", "github")


def kcheck_env() -> dict[str, str]:
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def fleet_manifest(path: Path, count: int) -> Path:
    """``count`` distinct targets over the 2.6.13 fixtures (small configs: a fast batch), each with
    its own boot line; every third one broken (no @address: KB002), so reports differ."""
    system, capture, kexec = OLD / "system.config", OLD / "capture.config", (OLD / "kexec").read_text().strip()
    tables = []
    for index in range(count):
        cmdline = "ro root=/dev/hda1 crashkernel=64M" + ("" if index % 3 == 0 else "@16M")
        tables.append(f'[[target]]\nname = "host-{index:05d}"\nsystem_config = "{system}"\n'
                      f'capture_config = "{capture}"\ncmdline = "{cmdline} kcheck.test={index}"\n'
                      f"kexec = {json.dumps(kexec)}\n")
    path.write_text("\n".join(tables))
    return path


#: Runs its arguments and prints the largest ru_maxrss among them (kcheck and its workers).  A
#: launcher of its own because Linux carries ru_maxrss across fork and exec: measured straight
#: from pytest, every child would report at least pytest's own size.
LAUNCHER = ("import resource, subprocess, sys; status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)"
            ".returncode; print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, status)")


def max_rss_mib(*args: str) -> float:
    """Peak RSS of the largest process of one ``kcheck`` run (the parent or a worker)."""
    result = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "kcheck", *args],
                            env=kcheck_env(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    maxrss, status = result.stdout.split()
    assert status == "1", result.stderr
    return int(maxrss) / 1024


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_memory_stays_flat_from_200_to_2000_targets(tmp_path: Path, jobs: str) -> None:
    """Before, each target cost ~0.42 MiB (its own copy of the rules, every report held): 750 MiB
    more for 1,800 more targets.  The bound is generous: the manifest itself is held (~2 KiB a target)."""
    small = fleet_manifest(tmp_path / "small.toml", 200)
    large = fleet_manifest(tmp_path / "large.toml", 2000)
    for fmt in ("json", "junit"):  # the largest documents; JUnit spools its suites
        base = max_rss_mib("check", "--manifest", str(small), "-j", jobs, "--format", fmt)
        grown = max_rss_mib("check", "--manifest", str(large), "-j", jobs, "--format", fmt)
        assert grown - base < 25, f"{fmt}, -j {jobs}: {base:.1f} MiB for 200 targets, {grown:.1f} MiB for 2,000"


def test_a_file_named_by_many_targets_is_read_once(tmp_path: Path) -> None:
    """Counters on stderr with --verbose: 60 targets, one config pair and one cmdline file, read once;
    a copy of the capture config under another name is read but not parsed again (same bytes)."""
    copy = tmp_path / "copy-of-capture.config"
    shutil.copy(OLD / "capture.config", copy)
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("ro root=/dev/hda1 crashkernel=64M@16M\n")
    tables = [f'[[target]]\nname = "t{i}"\nsystem_config = "{OLD / "system.config"}"\n'
              f'capture_config = "{copy if i == 59 else OLD / "capture.config"}"\ncmdline_file = "{cmdline}"\n'
              for i in range(60)]
    manifest = tmp_path / "m.toml"
    manifest.write_text("\n".join(tables))
    result = subprocess.run([sys.executable, "-m", "kcheck", "check", "--manifest", str(manifest), "-j", "1",
                             "--verbose", "--format", "json"], capture_output=True, text=True, env=kcheck_env(),
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    # 180 inputs named: 4 files read, 176 answered by path, 1 (the copy) by content; 2 distinct configs.
    assert ("kcheck: 60 targets in 1 process(es): 4 input files read, 2 configs parsed, "
            "177 inputs answered from memory") in result.stderr
    batch = json.loads(result.stdout)
    assert batch["targets"][59]["report"]["inputs"]["capture"]["config"] == str(copy), \
        "the shared parse carries each target's own path"
    # With two workers each process reads each file once: at most twice in all.
    parallel = subprocess.run([sys.executable, "-m", "kcheck", "check", "--manifest", str(manifest), "-j", "2",
                               "--verbose", "--format", "json"], capture_output=True, text=True,
                              env=kcheck_env(), cwd=ROOT, timeout=120)
    assert "in 2 process(es):" in parallel.stderr
    reads = int(parallel.stderr.split("process(es): ")[1].split()[0])
    assert 4 <= reads <= 8, parallel.stderr
    assert parallel.stdout == result.stdout


def test_a_file_that_changes_is_read_again(tmp_path: Path) -> None:
    """The cache is keyed by the file's stamp: a rewritten file is never answered from memory."""
    path = tmp_path / "system.config"
    shutil.copy(OLD / "system.config", path)
    reader = CachedReader(Reader())
    first = reader.config(str(path))
    assert reader.config(str(path)) is first and reader.stats == {"reads": 1, "parses": 1, "hits": 1}
    path.write_text(path.read_text().replace("CONFIG_KEXEC=y", "# CONFIG_KEXEC is not set"))
    again = reader.config(str(path))
    assert again.get("KEXEC") == "n" and first.get("KEXEC") == "y"
    assert reader.stats["reads"] == 2 and reader.stats["parses"] == 2
    path.unlink()
    with pytest.raises(Exception, match="no such file"):
        reader.config(str(path))


def test_the_config_cache_is_bounded(tmp_path: Path) -> None:
    """Past its budget the least recently used parse goes (and is parsed again when named again)."""
    paths = []
    for index in range(3):
        path = tmp_path / f"c{index}.config"
        path.write_text((OLD / "system.config").read_text() + f"CONFIG_LOCALVERSION=\"-{index}\"\n")
        paths.append(str(path))
    size = os.path.getsize(paths[0])
    reader = CachedReader(Reader(), config_budget=2 * size + 10)
    for path in paths:
        reader.config(path)
    assert len(reader._configs) == 2  # noqa: SLF001 - the bound is what is tested
    reader._stamps.clear()  # noqa: SLF001 - forget the stamps: the content table alone decides
    reader.config(paths[0])
    assert reader.stats["parses"] == 4


def test_reports_are_written_as_targets_finish_in_manifest_order(tmp_path: Path) -> None:
    """The writer gets each target as it is done: when target k's heading is written, at most the
    next chunk has been checked, never the whole batch."""
    manifest = fleet_manifest(tmp_path / "m.toml", 40)
    targets = load_manifest(str(manifest))
    done = [0]
    written_at: list[int] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            if text.startswith("== host-"):
                written_at.append(done[0])
            return super().write(text)

    def progress(count: int, total: int) -> None:
        done[0] = count

    out = Recorder()
    status, stats = write_batch(targets, BatchOptions(source=str(manifest)), out, "text", jobs=1,
                                progress=progress)
    headings = [line for line in out.getvalue().splitlines() if line.startswith("== host-")]
    assert headings == [f"== host-{i:05d} ==" for i in range(40)]
    assert written_at == list(range(40)), "each report is written before the next target is counted done"
    assert status == 1 and stats["processes"] == 1


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Good, broken, unreadable and incomplete targets, names with characters that need escaping, waivers."""
    (tmp_path / "broken").mkdir()
    broken = broken_setup(tmp_path / "broken")
    tables = []
    for index in range(30):
        kind = index % 3
        name = f"t{index} <&\"'> ::error ," if index == 4 else f"t{index}"
        if kind == 0 and index == 27:  # no kexec command: INCOMPLETE
            body = (f'system_config = "{OLD / "system.config"}"\ncapture_config = "{OLD / "capture.config"}"\n'
                    f'cmdline_file = "{OLD / "cmdline"}"\n')
        elif kind == 0:
            body = (f'system_config = "{OLD / "system.config"}"\ncapture_config = "{OLD / "capture.config"}"\n'
                    f'cmdline_file = "{OLD / "cmdline"}"\nkexec_file = "{OLD / "kexec"}"\n')
        elif kind == 1:
            body = (f'system_config = "{OLD / "system.config"}"\ncapture_config = "{broken.capture_config}"\n'
                    f'cmdline_file = "{broken.cmdline_file}"\nkexec_file = "{broken.kexec_file}"\n')
        else:
            body = f'system_config = "{tmp_path / "missing.config"}"\n'
        tables.append(f"[[target]]\nname = {json.dumps(name)}\n{body}")
    (tmp_path / "m.toml").write_text("\n".join(tables))
    (tmp_path / "waivers.toml").write_text('[[waiver]]\nrule = "KC007"\ntarget = "t1"\nreason = "tested"\n'
                                          '[[waiver]]\nrule = "KC001"\nreason = "matches nothing"\n')
    return tmp_path


def _run(directory: Path, fmt: str, jobs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kcheck", "check", "--manifest", "m.toml", "--waivers",
                           "waivers.toml", "--format", fmt, "-j", jobs], capture_output=True, text=True,
                          env=kcheck_env(), cwd=directory, timeout=120)


@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_documents_are_valid_and_the_same_with_any_jobs(mixed: Path, fmt: str) -> None:
    serial, parallel = _run(mixed, fmt, "1"), _run(mixed, fmt, "3")
    assert serial.returncode == parallel.returncode == 2, serial.stderr
    assert serial.stdout == parallel.stdout, "workers change nothing in the document"
    # The streamed document is the one the whole-document renderers give for the same batch.
    targets = load_manifest(str(mixed / "m.toml"))
    from kcheck.app.waivers import load_waivers
    from kcheck.reporters.github import annotations
    from kcheck.reporters.json_report import batch_dict
    from kcheck.reporters.junit import junit_xml
    from kcheck.reporters.sarif import sarif_log

    cwd = os.getcwd()
    os.chdir(mixed)  # paths in SARIF and JUnit are relative to the current directory
    try:
        options = BatchOptions(waivers=load_waivers("waivers.toml"), fail_on=Severity.ERROR, source="m.toml")
        batch = run_batch(load_manifest("m.toml"), options, jobs=1)
        whole = {"json": lambda: json.dumps(batch_dict(batch), indent=2) + "\n",
                 "sarif": lambda: json.dumps(sarif_log(batch.targets, batch.rules, batch.waivers)),
                 "junit": lambda: junit_xml(batch.targets, Severity.ERROR),
                 "github": lambda: annotations(batch.targets, batch.waivers),
                 "text": lambda: render("text", batch)}[fmt]()
    finally:
        os.chdir(cwd)
    out = serial.stdout
    if fmt == "json":
        assert out == whole
        batch = json.loads(out)
        batch_validator().validate(batch)
        assert [t["name"] for t in batch["targets"]] == [t.name for t in targets]
        assert batch["summary"] == {"targets": 30, "failed": 10, "unreadable": 10, "incomplete": 1,
                                    "exit_status": 2}
        assert [(w["state"], w["matched"]) for w in batch["waivers"]] == [("applied", 1), ("stale", 0)]
    elif fmt == "sarif":
        log = json.loads(out)
        assert log == json.loads(whole)
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
        run, = log["runs"]
        assert run["invocations"][0]["executionSuccessful"] is False
        errors = [n for n in run["invocations"][0]["toolExecutionNotifications"] if n["level"] == "error"]
        assert len(errors) == 10
        assert {r["properties"]["target"] for r in run["results"]} == {f"t{i}" for i in range(1, 30, 3)} - {"t4"} \
            | {"t4 <&\"'> ::error ,"}
    elif fmt == "junit":
        assert out == whole
        root = ET.fromstring(out)
        suites = root.findall("testsuite")
        for key in ("tests", "failures", "errors", "skipped"):
            assert root.get(key) == str(sum(int(s.get(key, "0")) for s in suites))
        assert root.get("errors") == "10"
        assert any(s.get("name", "").startswith("t4 <&\"'> ::error ,") for s in suites)
    elif fmt == "github":
        assert out == whole
        lines = out.splitlines()
        assert all(line.startswith(("::error ", "::warning ", "::notice ", "kcheck: ")) for line in lines), lines
        assert not any("::error file=" in line.split("::", 2)[2] for line in lines if line.startswith("::"))
        assert lines[-1].startswith("kcheck: ") and " errors, " in lines[-1]
    else:
        assert out == whole  # the same writer, in memory: what the other formats check is checked here by rows
        assert out.endswith("30 targets, 20 failed\n")
        rows = {line.split()[0]: line.split() for line in out[out.index("\ntarget  "):].splitlines()[2:-1]}
        assert rows["t0"][1:] == ["0", "0", "ok"] and rows["t27"][1:] == ["0", "0", "incomplete"]
        assert rows["t1"][1:] == ["1", "2", "FAIL"] and rows["t7"][1:] == ["2", "2", "FAIL"] and rows["t2"][1:3] == ["-", "-"]
        headings = [line[3:-3] for line in out.splitlines() if line.startswith("== ")]
        assert headings == [t.name for t in targets]


def test_output_file_is_written_whole_or_not_at_all(mixed: Path) -> None:
    """-o: the streamed report goes to a temporary file renamed at the end; a bad manifest leaves
    the previous report and no temporary file."""
    report = mixed / "report.json"
    result = subprocess.run([sys.executable, "-m", "kcheck", "check", "--manifest", "m.toml", "--format", "json",
                             "-o", str(report)], capture_output=True, text=True, env=kcheck_env(), cwd=mixed,
                            timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    batch_validator().validate(json.loads(report.read_text()))
    (mixed / "bad.toml").write_text('[[target]]\nname = "x"\n')
    result = subprocess.run([sys.executable, "-m", "kcheck", "check", "--manifest", "bad.toml", "--format", "json",
                             "-o", str(report)], capture_output=True, text=True, env=kcheck_env(), cwd=mixed,
                            timeout=120)
    assert result.returncode == 2 and "give at least system_config" in result.stderr
    batch_validator().validate(json.loads(report.read_text()))
    assert not [p for p in mixed.iterdir() if p.name.startswith(".kcheck-")]


def test_progress_only_when_asked_outside_a_terminal(mixed: Path) -> None:
    quiet = _run(mixed, "text", "1")
    assert quiet.stderr == ""
    asked = subprocess.run([sys.executable, "-m", "kcheck", "check", "--manifest", "m.toml", "--progress"],
                           capture_output=True, text=True, env=kcheck_env(), cwd=mixed, timeout=120)
    assert asked.stderr.splitlines()[-1].startswith("kcheck: 30/30 targets (100%), ")
    assert "\r" not in asked.stderr and "\033" not in asked.stderr, "a log gets plain lines"


def test_progress_line_on_a_terminal() -> None:
    now = [0.0]
    out = io.StringIO()
    meter = Progress(out, terminal=True, clock=lambda: now[0])
    meter(1, 1000)
    assert out.getvalue() == "", "nothing in the first second"
    now[0] = 2.0
    meter(500, 1000)
    assert out.getvalue() == "\r\033[Kkcheck: 500/1000 targets (50%), 250/s, 2 s left"
    now[0] = 2.1
    meter(510, 1000)
    assert out.getvalue().count("\r") == 1, "redrawn at most five times a second"
    meter.close()
    assert out.getvalue().endswith("\r\033[K"), "erased at the end"


def test_a_worker_that_dies_is_one_error() -> None:
    """A worker killed (or out of memory) breaks the pool: the batch ends with one error line, exit 2."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from kcheck.app.batch_pool import _result_of
    from kcheck.domain.errors import KcheckError

    future: Future[object] = Future()
    future.set_exception(BrokenProcessPool("A process in the process pool was terminated abruptly"))
    with pytest.raises(KcheckError, match=r"^--jobs: a worker process ended unexpectedly"):
        _result_of(future)
