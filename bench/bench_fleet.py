#!/usr/bin/env python3
"""kcheck fleet over 10,000 host reports: time and peak memory.

Budget (issue 13): the roll-up of 10,000 host reports takes under 5 s and
under 200 MiB on these machines, in every format.  The reports are real:
``kcheck preflight --format json`` of the four fixture host trees, written
10,000 times as the playbook writes them (``{"host", "report", "error"}``,
one file per host, ~17 KB each), a seventh of them broken hosts.

Reference, timed in the same interleaved rounds: a Python process that only
``json.load``s the same 10,000 files, the floor any roll-up that reads every
report pays.  Peak memory is the child's maximum resident set (``wait4``),
the largest over all timed runs.

Usage: python bench/bench_fleet.py [-n 5] [-w 1] [--hosts 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (
    ROOT,
    BenchError,
    Command,
    add_run_options,
    check_checkout,
    checkout_env,
    header,
    kcheck,
    main_guard,
    measure,
    row,
)

TREES = ("debian-healthy", "debian-broken", "fedora-healthy", "fedora-broken")
BUDGET_SECONDS = 5.0
BUDGET_BYTES = 200 * 1024 * 1024
FORMATS = ("text", "json", "junit", "html")
LOAD_ONLY = ("import json, os, sys\n"
             "d = sys.argv[1]\n"
             "for name in sorted(os.listdir(d)):\n"
             "    with open(os.path.join(d, name), encoding='utf-8') as f:\n"
             "        json.load(f)\n")


def write_fleet(directory: Path, hosts: int, env: dict[str, str]) -> None:
    reports = {}
    for tree in TREES:
        done = subprocess.run(kcheck("preflight", "--root", str(ROOT / "fixtures" / "hosts" / tree), "--format", "json"),
                              capture_output=True, text=True, env=env, check=False)
        if done.returncode not in (0, 1):
            raise BenchError(f"preflight {tree}: {done.stderr}")
        reports[tree] = json.loads(done.stdout)
    for number in range(hosts):
        tree = TREES[1 + 2 * (number % 2)] if number % 7 == 0 else TREES[2 * (number % 2)]
        entry = {"host": f"host{number:05}.example.com", "report": reports[tree], "error": None}
        (directory / f"host{number:05}.json").write_text(json.dumps(entry, indent=2) + "\n")


#: Runs ARGV from a small process and prints its peak resident set: a child of a
#: larger process would report that parent's high-water mark (Linux keeps it
#: across exec).
_PEAK = ("import os, subprocess, sys\n"
         "proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
         "_, status, usage = os.wait4(proc.pid, 0)\n"
         "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024)\n")


def peak_rss(argv: tuple[str, ...], env: dict[str, str]) -> int:
    done = subprocess.run([sys.executable, "-c", _PEAK, *argv], env=env, capture_output=True, text=True,
                          check=False)
    status, peak = (int(word) for word in done.stdout.split())
    if status not in (0, 1):
        raise BenchError(f"{' '.join(argv)}: exit status {status}")
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(parser, runs=5, warmup=1)
    parser.add_argument("--hosts", type=int, default=10_000, help="number of host reports (default 10000)")
    args = parser.parse_args()
    check_checkout()
    env = checkout_env()
    with tempfile.TemporaryDirectory(prefix="kcheck-bench-fleet-") as tmp:
        reports = Path(tmp) / "reports"
        reports.mkdir()
        write_fleet(reports, args.hosts, env)
        size = sum(p.stat().st_size for p in reports.iterdir())
        commands = [Command(f"kcheck fleet --format {fmt} ({args.hosts} reports)",
                            kcheck("fleet", str(reports), "--format", fmt, "--output", f"{tmp}/out.{fmt}"),
                            env, ok=frozenset({1}))
                    for fmt in FORMATS]
        reference = Command(f"json.load of the same {args.hosts} files  [reference]",
                            (sys.executable, "-c", LOAD_ONLY,
                             str(reports)), env)
        header(f"fleet: roll-up of {args.hosts} host reports ({size / 1e6:.0f} MB of JSON)", args.runs, args.warmup)
        timings = measure([reference, *commands], args.runs, args.warmup)
        peaks = {c.name: max(peak_rss(tuple(c.argv), env) for _ in range(2)) for c in commands}
    base = timings[reference.name]
    print(row(reference.name, base))
    worst_time = worst_peak = 0.0
    for command in commands:
        t = timings[command.name]
        worst_time, worst_peak = max(worst_time, t.median), max(worst_peak, peaks[command.name])
        print(f"{row(command.name, t)}  {t.median / base.median:4.2f}x ref  peak {peaks[command.name] / 2**20:6.1f} MiB")
    ok = worst_time < BUDGET_SECONDS and worst_peak < BUDGET_BYTES
    print(f"budget: slowest format {worst_time:.2f} s (< {BUDGET_SECONDS:g} s), largest peak "
          f"{worst_peak / 2**20:.1f} MiB (< {BUDGET_BYTES / 2**20:.0f} MiB): {'MET' if ok else 'MISSED'}")


if __name__ == "__main__":
    main_guard(main)
