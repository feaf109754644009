#!/usr/bin/env python3
"""``kcheck fix --kernel-src`` cold and warm, against the kernel's own ``make olddefconfig``.

Budget (issue 5): with the parsed Kconfig cached, a second ``kcheck fix`` on
the same tree takes well under half of what ``make olddefconfig`` takes
(read here as at most 0.5x of make with scripts/kconfig/conf already built:
the fair comparison, since a kernel developer's build tree has it).

The set-up is tests/cli/test_fix.py's real-tree case: Debian's i386 686 config
edited to NOHIGHMEM without CRASH_DUMP/PROC_VMCORE, which kcheck must repair
through the Kconfig dependencies of Debian's linux-source-6.1 tree in the
corpus.  Figures, timed in interleaved rounds:

  cold  kcheck fix with a fresh, empty XDG_CACHE_HOME every run (parses Kconfig)
  warm  kcheck fix again with the same XDG_CACHE_HOME (loads the pickle)
  make  make -C TREE O=DIR ARCH=i386 olddefconfig, conf already built in DIR  [reference]
  make fresh  the same in a new, empty O= directory (builds conf first)

Each run gets a fresh --output-dir and .config; that set-up is not timed.

Usage: python bench/bench_fix.py [-n 5] [-w 1]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from common import (
    BenchError,
    Command,
    add_run_options,
    check_checkout,
    checkout_env,
    corpus_config,
    header,
    import_tests_helper,
    kcheck,
    kernel_tree,
    main_guard,
    measure,
    require_tools,
    row,
    time_one,
    verdict,
)

BUDGET = 0.5
EDITS = {"HIGHMEM4G": "n", "NOHIGHMEM": "y", "CRASH_DUMP": "n", "HIGHMEM": "absent", "PROC_VMCORE": "absent"}


def base_config(work: Path) -> Path:
    edit_config = import_tests_helper("rules.harness").edit_config  # type: ignore[attr-defined]
    path = work / "686-nohighmem.config"
    path.write_text(edit_config(corpus_config("i386_none_686").read_text(), EDITS))
    return path


def fresh_dir(path: Path, config: Path | None = None) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    if config is not None:
        shutil.copyfile(config, path / ".config")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_options(parser, runs=5, warmup=1)
    args = parser.parse_args()
    tree = kernel_tree()
    require_tools("make", "gcc", "flex", "bison")
    check_checkout()
    with tempfile.TemporaryDirectory(prefix="kcheck-bench-fix-") as tmp:
        work = Path(tmp)
        config = base_config(work)
        out = work / "out"
        fix = ("fix", "--kernel-src", str(tree), "--output-dir", str(out), "--system-config", str(config))
        cold_cache, warm_cache = work / "cache-cold", work / "cache-warm"
        make = ("make", "-s", "-C", str(tree), "ARCH=i386", "olddefconfig")
        cmds = [
            Command("kcheck fix, cold (empty XDG_CACHE_HOME)", kcheck(*fix),
                    checkout_env(XDG_CACHE_HOME=str(cold_cache)), before=lambda: (fresh_dir(cold_cache), fresh_dir(out))),
            Command("kcheck fix, warm (second run, same cache)", kcheck(*fix),
                    checkout_env(XDG_CACHE_HOME=str(warm_cache)), before=lambda: fresh_dir(out)),
            Command("make olddefconfig, conf built  [reference]", (*make, f"O={work / 'obj-warm'}"),
                    before=lambda: shutil.copyfile(config, work / "obj-warm" / ".config")),
            Command("make olddefconfig, fresh O= (builds conf)", (*make, f"O={work / 'obj-fresh'}"),
                    before=lambda: fresh_dir(work / "obj-fresh", config)),
        ]
        fresh_dir(work / "obj-warm", config)
        _, err, status = time_one(cmds[0])
        fragment = (out / "system.config").read_text() if (out / "system.config").is_file() else ""
        if status != 0 or "CONFIG_CRASH_DUMP=y" not in fragment:
            raise BenchError(f"kcheck fix did not repair the config (exit {status}): {err.decode()[-1000:]}")
        header(f"kcheck fix --kernel-src {tree} vs make olddefconfig (i386 686 NOHIGHMEM)", args.runs, args.warmup)
        timings = measure(cmds, args.runs, args.warmup)
    for command in cmds:
        print(row(command.name, timings[command.name]))
    cold, warm, make_warm, make_fresh = (timings[c.name].median for c in cmds)
    print(f"warm / make (conf built)   {verdict(warm / make_warm, BUDGET)}")
    print(f"warm / make (fresh O=)     {warm / make_fresh:5.2f}x;  cold / make (conf built) {cold / make_warm:5.2f}x;"
          f"  cache saves {(cold - warm) * 1000:.0f} ms")


if __name__ == "__main__":
    main_guard(main)
