#!/usr/bin/env python3
"""Where the time of the budgeted ``kcheck check`` goes: imports and run time.

Not a benchmark with a budget: a guide for whoever optimises start-up.  On
the amd64 set-up of bench_check.py (b) it prints

  - ``python -X importtime``: median self time per module over N runs, the
    top kcheck modules and the top third-party ones, and the cumulative time
    of the top-level imports;
  - cProfile of one in-process run of the CLI after the imports are done
    (kcheck.console imported first, then ``main()`` profiled), by own time and by
    cumulative time, restricted to the top entries.

Usage: python bench/profile_check.py [-n 7] [--top 25]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
from collections import defaultdict

from bench_check import amd64_args
from common import PYTHON, check_checkout, checkout_env, main_guard

LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")

PROFILE = """
import cProfile, io, pstats, sys
import kcheck.console
sys.argv = ["kcheck", *{args!r}]
sys.stdout = io.StringIO()
profiler = cProfile.Profile()
profiler.enable()
try:
    kcheck.console.main()
except SystemExit:
    pass
profiler.disable()
sys.stdout = sys.__stdout__
for key in ("tottime", "cumulative"):
    print(f"-- cProfile of main() after imports, by {{key}}")
    pstats.Stats(profiler).sort_stats(key).print_stats({top})
"""


def importtimes(args: list[str], runs: int, argv: tuple[str, ...] = ("-m", "kcheck")) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    """Module -> median self us, module -> median cumulative us, module -> nesting depth."""
    selfs: dict[str, list[int]] = defaultdict(list)
    cums: dict[str, list[int]] = defaultdict(list)
    depth: dict[str, int] = {}
    for _ in range(runs):
        proc = subprocess.run([PYTHON, "-X", "importtime", *argv, *args], env=checkout_env(),
                              capture_output=True, text=True, check=False)
        for line in proc.stderr.splitlines():
            m = LINE.match(line)
            if m:
                selfs[m[4]].append(int(m[1]))
                cums[m[4]].append(int(m[2]))
                depth[m[4]] = (len(m[3]) - 1) // 2
    return ({k: statistics.median(v) for k, v in selfs.items()},
            {k: statistics.median(v) for k, v in cums.items()}, depth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=7)
    parser.add_argument("--top", type=int, default=25)
    opts = parser.parse_args()
    check_checkout()
    args = amd64_args()
    selfs, cums, depth = importtimes(args, opts.runs)
    floor, _, _ = importtimes([], opts.runs, ("-c", "import typer"))
    ours = {k: v for k, v in selfs.items() if k == "kcheck" or k.startswith("kcheck.")}
    theirs = {k: v for k, v in selfs.items() if k not in ours}
    extra = {k: v for k, v in theirs.items() if k not in floor}
    print(f"== python -X importtime -m kcheck check (amd64 set-up), median of {opts.runs} runs, microseconds")
    print(f"total self time: kcheck modules {sum(ours.values()) / 1000:.1f} ms ({len(ours)} modules), "
          f"everything else {sum(theirs.values()) / 1000:.1f} ms ({len(theirs)} modules)")
    print("-- top-level imports by cumulative time")
    for name, us in sorted(((k, v) for k, v in cums.items() if depth.get(k) == 0), key=lambda kv: -kv[1])[:12]:
        print(f"{us:9.0f}  {name}")
    print(f"third-party/stdlib modules that 'import typer' alone does not load: {len(extra)}, "
          f"{sum(extra.values()) / 1000:.1f} ms self time; 'import typer' modules: {sum(floor.values()) / 1000:.1f} ms")
    for title, table in (("kcheck modules by self time", ours), ("modules beyond import typer's, by self time", extra),
                         ("all non-kcheck modules by self time", theirs)):
        print(f"-- {title}")
        for name, us in sorted(table.items(), key=lambda kv: -kv[1])[: opts.top]:
            print(f"{us:9.0f}  {name}")
    print(flush=True)
    subprocess.run([PYTHON, "-c", PROFILE.format(args=args, top=opts.top)], env=checkout_env(), check=True)


if __name__ == "__main__":
    main_guard(main)
