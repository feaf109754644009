#!/usr/bin/env python3
"""Wall time of one rehearsal and of --find-min-crashkernel (TCG, Debian's 6.1 amd64 kernel).

Budgets (issue 11): one rehearsal under 40 s; --find-min-crashkernel in fewer
than 6 rehearsals.  Each figure is the median of whole ``kcheck rehearse``
processes (this checkout), so start-up, building the initramfs images, the
KVM probe (cached after its first run) and QEMU are all counted.  The
rehearsal's own ``seconds`` (QEMU alone) is shown beside it, and the load
average before and after each figure, since a TCG guest's speed is the
host's.  There is no reference tool to interleave with: nothing else
rehearses a kdump set-up.

Measured 2026-12-02 00:40 UTC at kcheck 5ee337a, 2-core VM shared with three
other work streams (load average 3.3 -> 2.2; below 1.5 was not to be had),
QEMU 7.2 TCG (KVM hangs here and the probe says so), Debian 6.1.0-57-amd64,
1G, 1 CPU, kcheck's probe initrd, crashkernel=256M:
  one rehearsal           median 13.7 s (13.1, 13.7, 15.5), QEMU alone 13.3 s   budget < 40 s: met
  --find-min-crashkernel  70.4 s, 5 rehearsals (160 112 88 100 92 -> 92M)       budget < 6: met
The last session's crash in the warm-up was a report-less exit (most likely the
script run by a Python without kcheck's dependencies: ``python -m kcheck`` died
before printing JSON and ``json.loads('')`` raised); it is now one
``bench error:`` line with kcheck's stderr, and every timed rehearsal must
have captured.

Usage: python bench/bench_rehearse.py [-n 3] [--find-min-runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time

from common import BenchError, Skip, check_checkout, checkout_commit, checkout_env, corpus_image, kcheck, main_guard

BUDGET_SECONDS = 40.0
BUDGET_REHEARSALS = 6
CMDLINE = "root=/dev/sda1 ro crashkernel=256M"
KEXEC = "kexec -p /boot/vmlinuz --initrd=/boot/initrd.img --append='root=/dev/sda1 1 irqpoll nr_cpus=1 reset_devices'"


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _run(image: str, *extra: str) -> tuple[float, dict]:
    """One whole ``kcheck rehearse`` process: its wall time and its JSON report."""
    argv = kcheck("rehearse", "--system-image", image, "--cmdline", CMDLINE, "--kexec", KEXEC,
                  "--format", "json", "--no-progress", *extra)
    start = time.monotonic()
    proc = subprocess.run(argv, env=checkout_env(), capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode not in (0, 1):
        raise BenchError(f"kcheck rehearse exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise BenchError(f"kcheck rehearse printed no JSON report (exit {proc.returncode}): "
                         f"{proc.stderr.strip()[-500:] or proc.stdout[:200]!r}") from None
    return wall, report


def _captured(report: dict) -> None:
    """A figure of a rehearsal that did not capture would time the wrong thing."""
    outcome = report["outcome"]
    if not outcome["captured"]:
        raise BenchError(f"the healthy set-up did not capture: stage {outcome['stage']}, {outcome['failure']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--runs", type=int, default=3, help="timed single rehearsals (default 3)")
    parser.add_argument("-w", "--warmup", type=int, default=1, help="untimed rehearsals first (default 1)")
    parser.add_argument("--find-min-runs", type=int, default=1, help="timed --find-min-crashkernel runs (default 1)")
    args = parser.parse_args()
    image = corpus_image()
    if image is None:
        raise Skip("Debian's 6.1 amd64 image is not in the corpus (run .ci/fetch-corpus)")
    if shutil.which("qemu-system-x86_64") is None:
        raise Skip("qemu-system-x86_64 is not installed (.ci/setup-host)")
    check_checkout()
    print(f"== kcheck rehearse  [kcheck at {checkout_commit()}]  {time.strftime('%Y-%m-%d %H:%M %Z')}  "
          f"load {_load()}")
    for _ in range(args.warmup):   # the KVM probe's verdict is cached, the page cache filled
        _, report = _run(str(image))
        _captured(report)
    walls, qemus = [], []
    load_before = _load()
    for _ in range(args.runs):
        wall, report = _run(str(image))
        _captured(report)
        walls.append(wall)
        qemus.append(report["outcome"]["seconds"])
    median = statistics.median(walls)
    print(f"one rehearsal ({report['vm']['accel']}): median {median:.1f} s (runs {', '.join(f'{w:.1f}' for w in walls)}), "
          f"QEMU alone {statistics.median(qemus):.1f} s; load {load_before} -> {_load()}; budget < {BUDGET_SECONDS:.0f} s: "
          f"{'MET' if median < BUDGET_SECONDS else 'MISSED'}")
    fm_walls, counts, minima = [], [], []
    load_before = _load()
    for _ in range(args.find_min_runs):
        wall, report = _run(str(image), "--find-min-crashkernel")
        fm_walls.append(wall)
        counts.append(report["find_min"]["rehearsals"])
        minima.append(report["find_min"]["minimum_mb"])
    print(f"--find-min-crashkernel: median {statistics.median(fm_walls):.1f} s (runs {', '.join(f'{w:.1f}' for w in fm_walls)}), "
          f"{statistics.median(counts):.0f} rehearsals (minimum {', '.join(f'{m}M' for m in minima)}); "
          f"load {load_before} -> {_load()}; budget < {BUDGET_REHEARSALS} rehearsals: "
          f"{'MET' if max(counts) < BUDGET_REHEARSALS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    main_guard(main)
