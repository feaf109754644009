#!/usr/bin/env python3
"""``kcheck check`` as a whole process, beside ``python -c "import typer"``.

Budget (issue 7): ``kcheck check`` on a real Debian amd64 6.1 config (as both
kernels) with a command line and a kexec command takes at most 1.2 times
``import typer`` alone.  Importing typer is most of the budget; everything
kcheck adds (reading a 10,600-line config, the rules, the report) must fit in
the rest.  Figures:

  (a) python -c "import typer"                          the floor, the reference
  (b) check, amd64 Debian config, same kernel, text     the budgeted figure
  (b2) as (b) with --capture-config given the same file  read once (same real path)
  (b3) as (b) with --capture-config Debian's amd64 RT config  two 10,600-line configs parsed
  (c) as (b), --format json
  (d) as (b), --format sarif
  (e) the 2.6.13 fixtures (kdump.txt's set-up), text

Usage: python bench/bench_check.py [-n 21] [-w 2]
"""

from __future__ import annotations

import argparse
from typing import Any

from common import (
    ROOT,
    BenchError,
    Command,
    add_run_options,
    check_checkout,
    checkout_env,
    corpus_config,
    header,
    import_tests_helper,
    kcheck,
    main_guard,
    measure,
    row,
    time_one,
    verdict,
)

BUDGET = 1.2
CONFIG = "amd64_none_amd64"
CAPTURE = "amd64_rt_amd64"  # a second real 10,600-line config: two parsed, not one
OLD = ROOT / "fixtures" / "2.6.13"


def amd64_args() -> list[str]:
    """The Debian kdump-tools set-up of tests/modern_setups.py on the amd64 config."""
    corpus_config(CONFIG)  # Skip with the fetch hint when absent
    setup: dict[str, Any] = import_tests_helper("modern_setups").modern_setup(CONFIG)  # type: ignore[attr-defined]
    assert "crashkernel=384M-:128M" in setup["cmdline"]
    return ["check", "--system-config", str(setup["system"]), "--cmdline", setup["cmdline"],
            "--kexec", setup["kexec"], "--memory", "16G"]


def commands() -> list[Command]:
    env = checkout_env()
    base = amd64_args()
    system = base[base.index("--system-config") + 1]
    old = ["check", "--system-config", str(OLD / "system.config"), "--capture-config", str(OLD / "capture.config"),
           "--cmdline-file", str(OLD / "cmdline"), "--kexec-file", str(OLD / "kexec")]
    # kcheck exits 1 when it finds an error; what it finds is not what is timed here.
    found = frozenset({0, 1})
    return [
        Command("(a) python -c 'import typer'  [reference]", (kcheck()[0], "-c", "import typer"), env),
        Command("(b) check amd64 6.1 same kernel, text", kcheck(*base), env, ok=found),
        Command("(b2) check amd64 6.1, --capture-config same file", kcheck(*base, "--capture-config", system),
                env, ok=found),
        Command("(b3) check amd64 6.1, --capture-config amd64 RT", kcheck(*base, "--capture-config",
                                                                           str(corpus_config(CAPTURE))),
                env, ok=found),
        Command("(c) check amd64 6.1 same kernel, json", kcheck(*base, "--format", "json"), env, ok=found),
        Command("(d) check amd64 6.1 same kernel, sarif", kcheck(*base, "--format", "sarif"), env, ok=found),
        Command("(e) check 2.6.13 fixtures, text", kcheck(*old), env, ok=found),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(parser, runs=21)
    args = parser.parse_args()
    check_checkout()
    cmds = commands()
    out, err, status = time_one(cmds[1])
    if status not in (0, 1) or not out:  # a report, whatever it says; never a usage error
        raise BenchError(f"kcheck check on the amd64 set-up: exit {status}, {err.decode()[-2000:]}")
    header("kcheck check vs python -c 'import typer'", args.runs, args.warmup)
    timings = measure(cmds, args.runs, args.warmup)
    floor = timings[cmds[0].name].median
    for command in cmds:
        timing = timings[command.name]
        line = row(command.name, timing)
        if command is cmds[0]:
            print(line)
            continue
        print(f"{line}  {verdict(timing.median / floor, BUDGET)}")
    b = timings[cmds[1].name]
    print(f"budget figure (b): {b.median * 1000:.1f} ms = {b.median / floor:.2f} x import typer "
          f"({floor * 1000:.1f} ms); kcheck's own share {(b.median - floor) * 1000:.1f} ms, "
          f"budget allows {(BUDGET - 1) * floor * 1000:.1f} ms")


if __name__ == "__main__":
    main_guard(main)
