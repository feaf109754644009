"""Shared pieces of the benchmarks: whole-process timing, the corpus, the checkout.

Why whole processes: a user pays for interpreter start-up, imports, reading
the inputs and writing the report, never for one function alone.  Why
medians of interleaved runs: the benchmarks run on small shared machines
(a 2-core VM with other jobs), where load drifts over seconds.  Running
A, B, A, B ... (rotating the order every round) spreads that drift over
every command alike, so the *ratios* the speed budgets are written in stay
meaningful even when the absolute milliseconds move.  The IQR beside each
median says how noisy that figure was; the CPU column (user + system time
of the child) is less sensitive to load than wall-clock time.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FETCH_HINT = "run .ci/fetch-corpus"
SOURCE_HINT = "run .ci/fetch-kernel-source"


class Skip(Exception):
    """A benchmark cannot run here (missing data or tools); the message says how to fix it."""


class BenchError(Exception):
    """A benchmarked command failed: its figure would be meaningless."""


# ---------------------------------------------------------------- environment


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment that makes ``python -m kcheck`` run this checkout, not an installed copy."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with .pyc files, as an installed kcheck has
    env.update(extra)
    return env


def kcheck(*args: str) -> tuple[str, ...]:
    """argv for the kcheck under test."""
    return (PYTHON, "-m", "kcheck", *args)


def check_checkout() -> None:
    """Refuse to measure some other kcheck than this checkout's."""
    out = subprocess.run([PYTHON, "-c", "import kcheck; print(kcheck.__file__)"], env=checkout_env(),
                         capture_output=True, text=True, cwd="/", check=True).stdout.strip()
    if not Path(out).resolve().is_relative_to(ROOT):
        raise BenchError(f"python -m kcheck imports {out}, not this checkout ({ROOT})")


def require_tools(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise Skip(f"{', '.join(missing)} not installed (.ci/setup-host installs them)")


# ---------------------------------------------------------------- corpus


def corpus_root() -> Path:
    """Where .ci/fetch-corpus puts the corpus (the same rule as tests/corpus.py)."""
    env = os.environ.get("KCHECK_CORPUS")
    return Path(env) if env else Path.home() / ".cache" / "kcheck" / "corpus"


def corpus_configs() -> dict[str, Path]:
    """Debian config name -> path; Skip when the configs part has not been fetched (or half-fetched)."""
    part = corpus_root() / "configs"
    if not (part / "SHA256SUMS").is_file():
        raise Skip(f"no corpus configs in {part}: {FETCH_HINT}")
    return {p.name.removesuffix(".config"): p for p in sorted(part.glob("*.config"))}


def corpus_config(name: str) -> Path:
    configs = corpus_configs()
    if name not in configs:
        raise Skip(f"corpus config {name}.config not in {corpus_root() / 'configs'}: {FETCH_HINT}")
    return configs[name]


def corpus_image() -> Path | None:
    """Debian's real amd64 vmlinuz, or None (callers that can do without it decide)."""
    part = corpus_root() / "images"
    image = part / "vmlinuz-6.1-amd64"
    return image if (part / "SHA256SUMS").is_file() and image.is_file() else None


def kernel_tree(series: str = "6.1") -> Path:
    tree = corpus_root() / f"linux-{series}"
    if not (tree / "Kconfig").is_file() or not (tree / "scripts" / "kconfig" / "conf.c").is_file():
        raise Skip(f"no linux-{series} tree in {tree}: {SOURCE_HINT} {series}")
    return tree


def import_tests_helper(module: str) -> object:
    """Import a tests/ helper (modern_setups, image_build): one source of truth for set-ups."""
    import importlib

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"tests.{module}")


# ---------------------------------------------------------------- timing


@dataclass(frozen=True)
class Command:
    """One process to time.  ``before`` runs untimed ahead of every run (e.g. wiping a cache)."""

    name: str
    argv: Sequence[str]
    env: dict[str, str] | None = None
    cwd: str | None = None
    before: Callable[[], None] | None = None
    ok: frozenset[int] = frozenset({0})
    stdin: bytes | None = None


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of every kept run of one command."""

    name: str
    wall: tuple[float, ...]
    cpu: tuple[float, ...] = field(default=())

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def q1(self) -> float:
        return _quartiles(self.wall)[0]

    @property
    def q3(self) -> float:
        return _quartiles(self.wall)[2]

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")


def _quartiles(data: Sequence[float]) -> list[float]:
    if len(data) < 2:
        return [data[0]] * 3
    return statistics.quantiles(data, n=4, method="inclusive")


def run_once(command: Command) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run; BenchError if it exits unexpectedly."""
    if command.before is not None:
        command.before()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(list(command.argv), env=command.env, cwd=command.cwd, input=command.stdin,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in command.ok:
        raise BenchError(f"{command.name}: exit status {proc.returncode} "
                         f"(expected {sorted(command.ok)}):\n{proc.stderr.decode(errors='replace')[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(commands: Sequence[Command], runs: int, warmup: int = 2, *, quiet: bool = False) -> dict[str, Timing]:
    """Median-ready timings: ``warmup`` discarded runs each, then ``runs`` interleaved rounds.

    Round r runs the commands in an order rotated by r, so no command always
    runs first (after a pause) or right after a heavy neighbour.
    """
    for command in commands:
        for _ in range(warmup):
            run_once(command)
    walls: dict[str, list[float]] = {c.name: [] for c in commands}
    cpus: dict[str, list[float]] = {c.name: [] for c in commands}
    quiet = quiet or not sys.stderr.isatty()
    for r in range(runs):
        shift = r % len(commands)
        for command in [*commands[shift:], *commands[:shift]]:
            wall, cpu = run_once(command)
            walls[command.name].append(wall)
            cpus[command.name].append(cpu)
        if not quiet:
            print(f"\r  round {r + 1}/{runs}", end="", file=sys.stderr, flush=True)
    if not quiet:
        print("\r" + " " * 20 + "\r", end="", file=sys.stderr, flush=True)
    return {c.name: Timing(c.name, tuple(walls[c.name]), tuple(cpus[c.name])) for c in commands}


def time_one(command: Command) -> tuple[bytes, bytes, int]:
    """Run once and return (stdout, stderr, status): to check a command's output before timing it."""
    if command.before is not None:
        command.before()
    proc = subprocess.run(list(command.argv), env=command.env, cwd=command.cwd, input=command.stdin,
                          capture_output=True, check=False)
    return proc.stdout, proc.stderr, proc.returncode


# ---------------------------------------------------------------- reporting


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def row(label: str, timing: Timing) -> str:
    """One figure: wall median, IQR and minimum, and the median CPU time (all in ms)."""
    return (f"{label:<58} {ms(timing.median)}  IQR {timing.iqr * 1000:6.1f}  min {min(timing.wall) * 1000:7.1f}"
            f"  cpu {timing.cpu_median * 1000:7.1f}")


def verdict(ratio: float, limit: float, *, at_most: bool = True) -> str:
    met = ratio <= limit if at_most else ratio >= limit
    need = f"<= {limit:g}x" if at_most else f">= {limit:g}x"
    return f"{ratio:5.2f}x  (budget {need}: {'MET' if met else 'MISSED'})"


def checkout_commit() -> str:
    """The measured checkout's commit (with '+dirty' for uncommitted changes to kcheck/ or rules/)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "kcheck", "rules"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + ("+dirty" if dirty else "")


def header(title: str, runs: int, warmup: int) -> None:
    load = os.getloadavg()
    print(f"== {title}  [kcheck at {checkout_commit()}]")
    print(f"   {runs} interleaved runs after {warmup} warm-up run(s) each; {os.cpu_count()} CPUs; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {time.strftime('%Y-%m-%d %H:%M %Z')}")


def add_run_options(parser: object, runs: int, warmup: int = 2) -> None:
    parser.add_argument("-n", "--runs", type=int, default=runs, help=f"timed runs per command (default {runs})")  # type: ignore[attr-defined]
    parser.add_argument("-w", "--warmup", type=int, default=warmup, help=f"discarded runs first (default {warmup})")  # type: ignore[attr-defined]


def main_guard(main: Callable[[], int | None]) -> None:
    """Run a benchmark's main: a Skip prints one 'skip:' line and exits 0, a failure exits 1."""
    try:
        status = main()
    except Skip as skip:
        print(f"skip: {skip}")
        sys.exit(0)
    except BenchError as error:
        print(f"bench error: {error}", file=sys.stderr)
        sys.exit(1)
    sys.exit(status or 0)
