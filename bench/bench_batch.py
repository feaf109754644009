#!/usr/bin/env python3
"""Batch mode against one process per set-up.

Budget (issue 7): the manifest of the 14 Debian 6.1 configs checks in well
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

Usage: python bench/bench_batch.py [-n 7] [-w 1]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from common import (
    BenchError,
    Command,
    add_run_options,
    check_checkout,
    checkout_env,
    corpus_configs,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(parser, runs=7, warmup=1)
    args = parser.parse_args()
    check_checkout()
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
        header(f"batch: {len(targets)} Debian 6.1 set-ups, one manifest vs one process each", args.runs, args.warmup)
        timings = measure([batch, serial, *singles], args.runs, args.warmup)
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
