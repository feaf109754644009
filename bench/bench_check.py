#!/usr/bin/env python3
"""Whole-process timing of ``kcheck check``, beside the floor ``import typer``.

Start-up matters: kcheck runs in CI for every kernel build and on every host
before kdump is armed.  Each figure is the median of N fresh processes.
Usage: ``python bench/bench_check.py [-n 21]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD = ROOT / "fixtures" / "2.6.13"


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--runs", type=int, default=21)
    args = parser.parse_args()
    python = sys.executable
    cases = {
        "python -c 'import typer' (floor)": [python, "-c", "import typer"],
        "kcheck check, 2.6.13 fixtures, text": [
            python, "-m", "kcheck", "check", "--system-config", str(OLD / "system.config"),
            "--capture-config", str(OLD / "capture.config"), "--cmdline-file", str(OLD / "cmdline"),
            "--kexec-file", str(OLD / "kexec")],
    }
    cases["kcheck check, 2.6.13 fixtures, json"] = [*cases["kcheck check, 2.6.13 fixtures, text"], "--format", "json"]
    floor = None
    for name, command in cases.items():
        seconds = median_seconds(command, args.runs)
        floor = floor or seconds
        print(f"{name:<45} median {seconds * 1000:7.1f} ms  ({seconds / floor:4.2f} x floor)")


if __name__ == "__main__":
    main()
