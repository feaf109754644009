"""Progress of a long batch on stderr: on a terminal by default, in a log only when asked.

A terminal gets one line redrawn in place (at most five times a second),
erased when the batch ends, so the report on stdout is never mixed with it.
``--progress`` asks for it where stderr is not a terminal (a CI log): then a
plain line every :data:`LOG_INTERVAL` seconds and a last one at the end.
Nothing is shown during the first :data:`QUIET_START` seconds: a batch that
finishes quickly needs no progress.
"""

from __future__ import annotations

import time
from typing import IO

QUIET_START = 1.0
TTY_INTERVAL = 0.2
LOG_INTERVAL = 10.0


class Progress:
    """Call with (done, total) after each target; :meth:`close` when the batch is over."""

    def __init__(self, stream: IO[str], *, terminal: bool, clock: object = time.monotonic) -> None:
        self.stream, self.terminal = stream, terminal
        self._clock = clock
        self.start = self._now()
        self._last = self.start + QUIET_START - (TTY_INTERVAL if terminal else LOG_INTERVAL)
        self._shown = False
        self._done = self._total = 0

    def _now(self) -> float:
        return self._clock()  # type: ignore[operator, no-any-return]

    def __call__(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        now = self._now()
        if now - self._last < (TTY_INTERVAL if self.terminal else LOG_INTERVAL):
            return
        self._last = now
        self._write(self.line(done, total, now - self.start))

    def close(self) -> None:
        """Erase the terminal line, or end the log with the final count."""
        if self.terminal:
            if not self._shown:
                return
            self.stream.write("\r\033[K")
        else:  # asked for in a log: always the final count
            self.stream.write(self.line(self._done, self._total, self._now() - self.start) + "\n")
        self.stream.flush()

    def _write(self, text: str) -> None:
        self._shown = True
        self.stream.write(f"\r\033[K{text}" if self.terminal else text + "\n")
        self.stream.flush()

    @staticmethod
    def line(done: int, total: int, elapsed: float) -> str:
        """``kcheck: 1200/10000 targets (12%), 250/s, 35 s left``."""
        rate = done / elapsed if elapsed > 0 else 0.0
        left = f", {_duration((total - done) / rate)} left" if rate > 0 and done < total else ""
        percent = done * 100 // total if total else 100
        return f"kcheck: {done}/{total} targets ({percent}%), {rate:.0f}/s{left}"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
