#!/usr/bin/env python3
"""Run every benchmark in turn and print their figures (see README "Benchmarks").

  bench_check.py     kcheck check vs python -c "import typer"        <= 1.2x   (issue 7)
  bench_image.py     1 GiB vmlinux vs a small / 10 MiB one            <= 1.2x   (issues 3, 7)
  bench_ikconfig.py  config extraction vs scripts/extract-ikconfig    >= 2x faster (issue 7)
  bench_batch.py     --manifest of 14 Debian configs vs 14 checks     well under 1x (issue 7)
  bench_fix.py       kcheck fix on 6.12, warm vs make olddefconfig   <= 0.3x   (issue 12; cold <= 1.0x fresh O=)
  bench_fleet.py     kcheck fleet over 10,000 host reports           < 5 s, < 200 MiB (issue 13)
  bench_rehearse.py  one kcheck rehearse; --find-min-crashkernel      < 40 s; < 6 rehearsals (issue 11)

Each script takes -n RUNS and -w WARMUP and prints "skip: ..." (exit 0) when
the corpus or a tool it needs is missing.  ``--quick`` runs fewer rounds, for
checking that the scripts work, not for figures to quote.

Usage: python bench/run_all.py [--quick] [--max-load 1.0] [--only check,image,...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("check", "image", "ikconfig", "batch", "fix", "fleet", "rehearse")
QUICK = ["-n", "3", "-w", "1"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 runs each: a smoke test, not figures")
    parser.add_argument("--max-load", type=float, default=None, metavar="L",
                        help="first wait (up to 10 min) until the 1-minute load average is below L")
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}")
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    if args.max_load is not None:
        deadline = time.monotonic() + 600
        while os.getloadavg()[0] >= args.max_load and time.monotonic() < deadline:
            time.sleep(10)
    load = os.getloadavg()
    print(f"kcheck benchmarks, {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {sys.version.split()[0]}\n", flush=True)
    failed = []
    for name in chosen:
        argv = [sys.executable, str(HERE / f"bench_{name}.py"), *(QUICK if args.quick else [])]
        if subprocess.run(argv, check=False).returncode != 0:
            failed.append(name)
        print(flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
