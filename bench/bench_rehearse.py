#!/usr/bin/env python3
"""Wall time of one rehearsal and of --find-min-crashkernel (TCG, Debian's 6.1 amd64 kernel).

Budgets (issue 11): one rehearsal under 40 s; --find-min-crashkernel in fewer
than 6 rehearsals.  Each figure is the median of whole ``kcheck rehearse``
processes (this checkout), so start-up, building the initramfs images, the
KVM probe (cached after its first run) and QEMU are all counted.  The
rehearsal's own ``seconds`` (QEMU alone) is shown beside it.  There is no
reference tool to interleave with: nothing else rehearses a kdump set-up.

Usage: python bench/bench_rehearse.py [-n 3] [--find-min-runs 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import time

from common import Skip, check_checkout, checkout_commit, checkout_env, corpus_image, kcheck, main_guard

BUDGET_SECONDS = 40.0
BUDGET_REHEARSALS = 6
CMDLINE = "root=/dev/sda1 ro crashkernel=256M"
KEXEC = "kexec -p /boot/vmlinuz --initrd=/boot/initrd.img --append='root=/dev/sda1 1 irqpoll nr_cpus=1 reset_devices'"


def _run(image: str, *extra: str) -> tuple[float, dict]:
    argv = kcheck("rehearse", "--system-image", image, "--cmdline", CMDLINE, "--kexec", KEXEC,
                  "--format", "json", "--no-progress", *extra)
    start = time.monotonic()
    proc = subprocess.run(argv, env=checkout_env(), capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench error: kcheck rehearse exited {proc.returncode}: {proc.stderr[-500:]}")
    return wall, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--runs", type=int, default=3, help="timed single rehearsals (default 3)")
    parser.add_argument("--find-min-runs", type=int, default=1, help="timed --find-min-crashkernel runs (default 1)")
    args = parser.parse_args()
    image = corpus_image()
    if image is None:
        raise Skip("Debian's 6.1 amd64 image is not in the corpus (run .ci/fetch-corpus)")
    if shutil.which("qemu-system-x86_64") is None:
        raise Skip("qemu-system-x86_64 is not installed (.ci/setup-host)")
    check_checkout()
    print(f"== kcheck rehearse  [kcheck at {checkout_commit()}]  {time.strftime('%Y-%m-%d %H:%M %Z')}")
    _run(str(image))   # warm-up: the KVM probe's verdict is cached, the page cache filled
    walls, qemus = [], []
    for _ in range(args.runs):
        wall, report = _run(str(image))
        assert report["outcome"]["captured"], report["outcome"]
        walls.append(wall)
        qemus.append(report["outcome"]["seconds"])
    median = statistics.median(walls)
    print(f"one rehearsal ({report['vm']['accel']}): median {median:.1f} s (runs {', '.join(f'{w:.1f}' for w in walls)}), "
          f"QEMU alone {statistics.median(qemus):.1f} s; budget < {BUDGET_SECONDS:.0f} s: "
          f"{'MET' if median < BUDGET_SECONDS else 'MISSED'}")
    fm_walls, counts = [], []
    for _ in range(args.find_min_runs):
        wall, report = _run(str(image), "--find-min-crashkernel")
        fm_walls.append(wall)
        counts.append(report["find_min"]["rehearsals"])
        minimum = report["find_min"]["minimum_mb"]
    print(f"--find-min-crashkernel: median {statistics.median(fm_walls):.1f} s, "
          f"{statistics.median(counts):.0f} rehearsals (minimum {minimum}M); budget < {BUDGET_REHEARSALS} rehearsals: "
          f"{'MET' if max(counts) < BUDGET_REHEARSALS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    main_guard(main)
