#!/usr/bin/env python3
"""Batch mode: fleet-scale manifests (issue 14), and one manifest against one process per set-up (issue 7).

Fleet (issue 14): manifests of 100, 2,000 and 10,000 targets built over the
corpus's 14 real Debian 6.1 configs and the committed fixtures (the 2.6.13
pair, fixtures/ci/x86_64-6.1.config), each target with its own boot command
line (a ``kcheck.bench=<n>`` parameter) so no two are alike, checked with
``-j 1`` and ``-j 2``.  Figures: configs/s (targets / median wall time) and
peak memory of the whole process tree (the sum of every process's RSS,
sampled every 20 ms from /proc; forked workers share pages with the parent,
so the sum over-counts: PSS, which does not, is printed beside it).
Budget on 2 CPUs: at least 250 configs/s with -j 2, peak under 150 MiB at
10,000 targets.  The budget is for an idle machine: the load average is
printed with every figure.

Issue 7: the manifest of the 14 Debian 6.1 configs checks in well
under 14 times one check.  Each target is the modern kdump-tools set-up of
tests/modern_setups.py on that config (same kernel as system and capture,
crashkernel=384M-:128M, the architecture's kexec -p command).  kcheck runs
targets in worker processes, one per CPU by default, so on N CPUs the best
possible is about (start-up + 14 checks / N); the figure depends on
os.cpu_count(), printed beside it.

References, all timed in the same interleaved rounds:
  - each of the 14 set-ups checked alone (``kcheck check`` with the same
    options): the sum of their 14 medians is "one process per set-up";
  - 14 x the amd64 single check's median, the issue's "14 times one check".
Also timed: the manifest with -j 1 (no parallelism), to separate the gain of
sharing one start-up from the gain of using more cores.

Usage: python bench/bench_batch.py [-n 3] [-w 1] [--sizes 100,2000,10000] [--jobs 1,2] [--format text]
                                   [--fleet-only | --small-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    BenchError,
    Command,
    add_run_options,
    check_checkout,
    checkout_env,
    corpus_configs,
    checkout_commit,
    header,
    import_tests_helper,
    kcheck,
    main_guard,
    measure,
    row,
    time_one,
)

WELL_UNDER = 0.5  # "well under 14 times": at most half of it


def toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string for this text


def setups() -> dict[str, dict[str, Any]]:
    names = list(corpus_configs())
    modern = import_tests_helper("modern_setups")
    return {name: modern.modern_setup(name) for name in names}  # type: ignore[attr-defined]


def write_manifest(path: Path, targets: dict[str, dict[str, Any]]) -> None:
    tables = []
    for name, setup in targets.items():
        tables.append("\n".join([
            "[[target]]", f"name = {toml_string(name)}", f"system_config = {toml_string(str(setup['system']))}",
            f"cmdline = {toml_string(setup['cmdline'])}", f"kexec = {toml_string(setup['kexec'])}",
            f"memory = {toml_string(setup['memory'])}"]))
    path.write_text("\n\n".join(tables) + "\n")


def single(setup: dict[str, Any]) -> tuple[str, ...]:
    return kcheck("check", "--system-config", str(setup["system"]), "--cmdline", setup["cmdline"],
                  "--kexec", setup["kexec"], "--memory", setup["memory"])


def fleet_targets(count: int) -> list[str]:
    """``count`` distinct [[target]] tables cycling over the corpus configs and the fixtures."""
    kinds: list[tuple[str, dict[str, Any]]] = list(setups().items())
    old = ROOT / "fixtures" / "2.6.13"
    kinds.append(("kdump-txt", {"system": old / "system.config", "capture": old / "capture.config",
                                "cmdline": "ro root=/dev/hda1 crashkernel=64M@16M",
                                "kexec": (old / "kexec").read_text().strip(), "memory": "1G"}))
    modern = import_tests_helper("modern_setups")
    ci = modern.modern_setup("amd64_none_amd64")  # type: ignore[attr-defined]
    kinds.append(("ci-x86_64", {**ci, "system": ROOT / "fixtures" / "ci" / "x86_64-6.1.config"}))
    tables = []
    for index in range(count):
        kind, setup = kinds[index % len(kinds)]
        lines = ["[[target]]", f"name = {toml_string(f'{kind}-{index}')}",
                 f"system_config = {toml_string(str(setup['system']))}"]
        if setup.get("capture"):
            lines.append(f"capture_config = {toml_string(str(setup['capture']))}")
        lines += [f"cmdline = {toml_string(setup['cmdline'] + f' kcheck.bench={index}')}",
                  f"kexec = {toml_string(setup['kexec'])}", f"memory = {toml_string(setup['memory'])}"]
        tables.append("\n".join(lines))
    return tables


def tree_pids(root: int) -> list[int]:
    """``root`` and every descendant, from /proc/<pid>/task/<tid>/children."""
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    stack.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return found


def _kib(path: str, field: str) -> int:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_sampled(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, float, int]:
    """(wall s, CPU s of the tree, peak RSS MiB, peak PSS MiB, exit status) of one run."""
    peak = {"rss": 0, "pss": 0}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pids = tree_pids(proc.pid)
            peak["rss"] = max(peak["rss"], sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in pids))
            peak["pss"] = max(peak["pss"], sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise BenchError(f"{' '.join(argv[-6:])}: exit {proc.returncode}: {stderr[-1500:]}")
    return wall, usage.ru_utime + usage.ru_stime, peak["rss"] / 1024, peak["pss"] / 1024, proc.returncode


def fleet(args: argparse.Namespace) -> bool:
    """The issue 14 figures; True when every budget was met."""
    env = checkout_env()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [int(j) for j in args.jobs.split(",")]
    load = os.getloadavg()
    print(f"== batch at fleet scale: --manifest of {args.sizes} targets, -j {args.jobs}, --format {args.format}; "
          f"{args.runs} runs after {args.warmup} warm-up(s)  [kcheck at {checkout_commit()}]")
    print(f"   {os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start; "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"{'targets':>8} {'-j':>3} {'median s':>9} {'configs/s':>10} {'cpu s':>7} {'peak RSS MiB':>13} "
          f"{'(max)':>7} {'PSS MiB':>8} {'load avg':>9}")
    met = True
    with tempfile.TemporaryDirectory(prefix="kcheck-bench-fleet-") as tmp:
        for size in sizes:
            manifest = Path(tmp) / f"fleet-{size}.toml"
            manifest.write_text("\n\n".join(fleet_targets(size)) + "\n")
            for job in jobs:
                argv = list(kcheck("check", "--manifest", str(manifest), "-j", str(job), "--format", args.format,
                                   "--no-progress"))
                for _ in range(args.warmup):
                    run_sampled(argv, env)
                runs, loads = [], []
                for _ in range(args.runs):
                    runs.append(run_sampled(argv, env))
                    loads.append(os.getloadavg()[0])
                wall = statistics.median(r[0] for r in runs)
                rss = statistics.median(r[2] for r in runs)
                rate = size / wall
                print(f"{size:>8} {job:>3} {wall:>9.2f} {rate:>10.0f} {statistics.median(r[1] for r in runs):>7.2f} "
                      f"{rss:>13.1f} {max(r[2] for r in runs):>7.1f} {statistics.median(r[3] for r in runs):>8.1f} "
                      f"{statistics.median(loads):>9.2f}", flush=True)
                if job == 2 and size >= 2000 and rate < 250:
                    met = False
                if size == 10000 and max(r[2] for r in runs) >= 150:
                    met = False
    print(f"budget (2 CPUs, idle): >= 250 configs/s with -j 2, peak RSS < 150 MiB at 10,000 targets: "
          f"{'MET' if met else 'MISSED'} (load average now {os.getloadavg()[0]:.2f})")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(parser, runs=3, warmup=1)
    parser.add_argument("--sizes", default="100,2000,10000", help="fleet manifest sizes (default 100,2000,10000)")
    parser.add_argument("--jobs", default="1,2", help="-j values for the fleet runs (default 1,2)")
    parser.add_argument("--format", default="text", choices=("text", "json", "sarif", "junit", "github"))
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--fleet-only", action="store_true", help="only the issue 14 fleet figures")
    group.add_argument("--small-only", action="store_true", help="only the issue 7 comparison")
    args = parser.parse_args()
    check_checkout()
    if not args.small_only:
        fleet(args)
        print()
    if not args.fleet_only:
        small(args)


def small(args: argparse.Namespace) -> None:
    """Issue 7: the 14 Debian set-ups in one manifest against one process each."""
    runs = max(args.runs, 7)
    targets = setups()
    env = checkout_env()
    found = frozenset({0, 1})  # s390x ships without kdump: its target fails, as it should
    with tempfile.TemporaryDirectory(prefix="kcheck-bench-batch-") as tmp:
        manifest = Path(tmp) / "debian-6.1.toml"
        write_manifest(manifest, targets)
        batch = Command(f"kcheck check --manifest ({len(targets)} targets, default -j)",
                        kcheck("check", "--manifest", str(manifest)), env, ok=found)
        serial = Command(f"kcheck check --manifest ({len(targets)} targets, -j 1)",
                         kcheck("check", "--manifest", str(manifest), "-j", "1"), env, ok=found)
        singles = [Command(f"  single: {name}", single(setup), env, ok=found) for name, setup in targets.items()]
        out, err, status = time_one(Command("json", (*batch.argv, "--format", "json"), env, ok=found))
        report = json.loads(out or b"{}")
        if status not in found or len(report.get("targets", [])) != len(targets):
            raise BenchError(f"manifest run: exit {status}, {len(report.get('targets', []))} targets: "
                             f"{err.decode()[-1000:]}")
        broken = [t["name"] for t in report["targets"] if t["exit_status"] == 2]
        if broken:
            raise BenchError(f"targets could not be read: {broken}")
        header(f"batch: {len(targets)} Debian 6.1 set-ups, one manifest vs one process each", runs, args.warmup)
        timings = measure([batch, serial, *singles], runs, args.warmup)
    for command in singles:
        print(row(command.name, timings[command.name]))
    total = sum(timings[c.name].median for c in singles)
    amd64 = next(timings[c.name].median for c in singles if c.name.endswith("amd64_none_amd64"))
    print(f"{'sum of the single medians  [reference]':<58} {total * 1000:8.1f} ms")
    print(f"{'14 x amd64 single median':<58} {len(targets) * amd64 * 1000:8.1f} ms")
    for command in (serial, batch):
        t = timings[command.name]
        ratio = t.median / total
        print(f"{row(command.name, t)}  {ratio:5.2f} of the sum = {ratio * len(targets):4.1f} single checks")
    ratio = timings[batch.name].median / total
    ok = "MET" if ratio <= WELL_UNDER else "MISSED"
    print(f"budget: manifest {timings[batch.name].median * 1000:.1f} ms vs {len(targets)} single checks "
          f"{total * 1000:.1f} ms = {ratio:.2f}x (well under 1x: <= {WELL_UNDER}x {ok}); "
          f"os.cpu_count() = {os.cpu_count()}")


if __name__ == "__main__":
    main_guard(main)
