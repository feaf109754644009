"""Check a batch's targets in worker processes and hand the results back in manifest order.

Why this shape (a fleet manifest has thousands of targets on a 2-CPU runner):

- each worker loads the rules once and keeps a :class:`~kcheck.inputs.cache.CachedReader`,
  so a config named by a thousand targets is read and parsed once per process;
- targets go out in chunks, and at most :data:`WINDOW` chunks per worker are
  in flight, so neither the queue nor the results waiting to be written grow
  with the batch;
- a worker renders each target itself (:func:`kcheck.reporters.stream.render_piece`)
  and sends back the piece of output text and a few counts, not the report:
  unpickling every report in the parent made ``-j 2`` no faster than ``-j 1``.

On Linux the workers are forked: they start with kcheck already imported.
"""

from __future__ import annotations

import gc
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from kcheck.app.target import BatchOptions, Target, check_target
from kcheck.domain.findings import TargetReport, WaiverStatus
from kcheck.domain.records import replace
from kcheck.reporters.stream import Piece, RenderOptions, render_piece
from kcheck.inputs.cache import CachedReader
from kcheck.app.pipeline import Reader, check_rules
from kcheck.domain.errors import KcheckError

#: Python's own collector thresholds, which a batch keeps (or takes back): it runs long and
#: allocates per target, and its memory stays flat with them (kcheck/__main__.py raises them
#: for the start-up of one check).
COLLECTOR_THRESHOLDS = (700, 10, 10)

#: Chunks in flight per worker.
WINDOW = 3
#: Targets per chunk, at most (fewer for small batches, so every worker gets some).
CHUNK = 16

Result = tuple[Piece | TargetReport, tuple[WaiverStatus, ...]]


class Checker:
    """One process's share of a batch: rules loaded once, inputs read once."""

    def __init__(self, options: BatchOptions, render: RenderOptions | None) -> None:
        self.options, self.render = options, render
        self.rules = check_rules(options.rule_files)
        self.reader = CachedReader(Reader())
        self.checked = 0

    def run(self, target: Target) -> Result:
        """The target rendered (or its report, for :func:`kcheck.app.batch.run_batch`), and its waivers apart."""
        outcome = check_target(target, self.options, rules=self.rules, reader=self.reader)
        self.checked += 1
        statuses: tuple[WaiverStatus, ...] = ()
        if outcome.report is not None:
            statuses = outcome.report.waivers
            outcome = replace(outcome, report=replace(outcome.report, waivers=()))
        if self.render is None:
            return outcome, statuses
        return render_piece(outcome, self.render), statuses

    def stats(self) -> dict[str, int]:
        return {**self.reader.stats, "targets": self.checked}


_CHECKER: Checker | None = None


def _start_worker(options: BatchOptions, render: RenderOptions | None) -> None:
    global _CHECKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: one message, no tracebacks
    _CHECKER = Checker(options, render)
    # What stays for the whole run (modules, rules) need not be walked by every collection.
    gc.freeze()


def _run_chunk(chunk: Sequence[Target]) -> tuple[list[Result], int, dict[str, int]]:
    assert _CHECKER is not None, "worker not started"
    return [_CHECKER.run(target) for target in chunk], os.getpid(), _CHECKER.stats()


class BatchRun:
    """A batch's worker processes; :meth:`results` gives the targets' results in order.

    Workers are started by :meth:`start` (forked: they inherit the loaded
    rules), which the CLI calls before it reads the manifest, so that the
    manifest's objects are not in every worker too.  ``stats`` sums every
    process's counters once the results have been read.
    """

    def __init__(self, options: BatchOptions, render: RenderOptions | None, jobs: int | None = None,
                 expected: int | None = None) -> None:
        self.options, self.render = options, render
        wanted = jobs or available_cpus()
        self.workers = max(1, min(wanted, expected) if expected is not None else wanted)
        self._pool: Any = None
        self._stats: dict[int, dict[str, int]] = {}

    def __enter__(self) -> BatchRun:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        gc.set_threshold(*COLLECTOR_THRESHOLDS)  # before forking: the workers inherit them
        if self.workers <= 1 or self._pool is not None:
            return
        from concurrent.futures import ProcessPoolExecutor  # lazy: only a batch starts worker processes

        self._pool = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_start_worker,
                                         initargs=(self.options, self.render))
        self._pool.submit(int)  # the first task forks every worker, now

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def stats(self) -> dict[str, int]:
        total: dict[str, int] = {"processes": len(self._stats)}
        for counters in self._stats.values():
            for key, value in counters.items():
                total[key] = total.get(key, 0) + value
        return total

    def results(self, targets: Sequence[Target]) -> Iterator[Result]:
        if self._pool is None or len(targets) <= 1:
            checker = Checker(self.options, self.render)
            for target in targets:
                yield checker.run(target)
                self._stats[os.getpid()] = checker.stats()
            return
        size = max(1, min(CHUNK, len(targets) // (self.workers * 4)))
        chunks = (targets[start:start + size] for start in range(0, len(targets), size))
        pending: deque[Any] = deque()
        try:
            for chunk in chunks:
                pending.append(self._pool.submit(_run_chunk, chunk))
                if len(pending) >= self.workers * WINDOW:
                    break
            while pending:
                results, pid, counters = _result_of(pending.popleft())
                chunk = next(chunks, None)
                if chunk is not None:
                    pending.append(self._pool.submit(_run_chunk, chunk))
                self._stats[pid] = counters
                yield from results
        finally:
            for future in pending:  # an error or a reader that left: no more work
                future.cancel()


def _result_of(future: Any) -> tuple[list[Result], int, dict[str, int]]:
    """A chunk's results; a worker that died (killed, out of memory) is one error, not a traceback."""
    from concurrent.futures.process import BrokenProcessPool  # lazy: only a batch starts worker processes

    try:
        result: tuple[list[Result], int, dict[str, int]] = future.result()
    except BrokenProcessPool:
        raise KcheckError("--jobs", "a worker process ended unexpectedly (killed, or out of memory?); "
                                    "the batch report is not complete") from None
    return result


def available_cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _context() -> Any:
    import multiprocessing  # lazy: only a batch starts worker processes

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])
