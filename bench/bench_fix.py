#!/usr/bin/env python3
"""``kcheck fix --kernel-src`` cold and warm, against the kernel's own ``make olddefconfig``.

Budgets (issue 12, on Linux 6.12): with the parsed Kconfig cached, ``kcheck
fix`` takes at most 0.3x of ``make olddefconfig`` with scripts/kconfig/conf
already built (a kernel developer's build tree has it); with an empty cache
(kconfiglib parses the whole Kconfig and runs the compiler probes) at most
1.0x of ``make olddefconfig`` in a fresh ``O=`` (which builds conf first).

The set-up: the tree's own i386_defconfig, normalised by its olddefconfig,
then edited to NOHIGHMEM without CRASH_DUMP and normalised again (the edit
users make); kcheck must bring CRASH_DUMP back through
ARCH_SUPPORTS_CRASH_DUMP = X86_64 || (X86_32 && HIGHMEM) (6.12; on 6.1
CRASH_DUMP depends on that expression directly).  Figures, in interleaved rounds:

  cold  kcheck fix with a fresh, empty XDG_CACHE_HOME every run (parses Kconfig)
  warm  kcheck fix again with the same XDG_CACHE_HOME (loads the pickle)
  make  make -C TREE O=DIR ARCH=i386 olddefconfig, conf already built in DIR  [reference]
  make fresh  the same in a new, empty O= directory (builds conf first)  [reference for cold]

Each run gets a fresh --output-dir and .config; that set-up is not timed.

Usage: python bench/bench_fix.py [--series 6.12|6.1] [-n 5] [-w 1]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import (
    BenchError,
    Command,
    add_run_options,
    check_checkout,
    checkout_env,
    header,
    kcheck,
    kernel_tree,
    main_guard,
    measure,
    require_tools,
    row,
    time_one,
    verdict,
)

WARM_BUDGET = 0.3
COLD_BUDGET = 1.0
EDITS = {"HIGHMEM4G": "n", "NOHIGHMEM": "y", "CRASH_DUMP": "n"}


def olddefconfig(tree: Path, obj: Path, text: str) -> str:
    obj.mkdir(parents=True, exist_ok=True)
    (obj / ".config").write_text(text)
    subprocess.run(["make", "-s", "-C", str(tree), f"O={obj}", "ARCH=i386", "olddefconfig"],
                   check=True, capture_output=True)
    return (obj / ".config").read_text()


def base_config(tree: Path, work: Path) -> Path:
    """i386_defconfig -> olddefconfig -> NOHIGHMEM, no CRASH_DUMP -> olddefconfig."""
    text = olddefconfig(tree, work / "obj-setup", (tree / "arch/x86/configs/i386_defconfig").read_text())
    for name, value in EDITS.items():
        line = f"# CONFIG_{name} is not set" if value == "n" else f"CONFIG_{name}={value}"
        text, n = re.subn(rf"^(CONFIG_{name}=.*|# CONFIG_{name} is not set)$", line, text, flags=re.M)
        if not n:
            text += line + "\n"
    path = work / "686-nohighmem.config"
    path.write_text(olddefconfig(tree, work / "obj-setup", text))
    if "CONFIG_CRASH_DUMP=y" in path.read_text():
        raise BenchError("the set-up still has CRASH_DUMP=y after olddefconfig")
    return path


def fresh_dir(path: Path, config: Path | None = None) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    if config is not None:
        shutil.copyfile(config, path / ".config")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", default="6.12", help="kernel tree in the corpus (default: 6.12)")
    add_run_options(parser, runs=5, warmup=1)
    args = parser.parse_args()
    tree = kernel_tree(args.series)
    require_tools("make", "gcc", "flex", "bison")
    check_checkout()
    with tempfile.TemporaryDirectory(prefix="kcheck-bench-fix-") as tmp:
        work = Path(tmp)
        config = base_config(tree, work)
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
        if status != 0 or "CONFIG_CRASH_DUMP=y" not in fragment or "CONFIG_HIGHMEM4G=y" not in fragment:
            raise BenchError(f"kcheck fix did not repair the config (exit {status}): {err.decode()[-1000:]}")
        header(f"kcheck fix --kernel-src {tree} vs make olddefconfig (i386 NOHIGHMEM, no CRASH_DUMP)",
               args.runs, args.warmup)
        timings = measure(cmds, args.runs, args.warmup)
    for command in cmds:
        print(row(command.name, timings[command.name]))
    cold, warm, make_warm, make_fresh = (timings[c.name].median for c in cmds)
    print(f"warm / make (conf built)   {verdict(warm / make_warm, WARM_BUDGET)}")
    print(f"cold / make (fresh O=)     {verdict(cold / make_fresh, COLD_BUDGET)}")
    print(f"cache saves {(cold - warm) * 1000:.0f} ms")


if __name__ == "__main__":
    main_guard(main)
