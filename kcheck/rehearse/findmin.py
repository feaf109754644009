"""--find-min-crashkernel: bisect the smallest region that still yields a readable dump.

The search keeps the invariant "``lo`` does not capture, ``hi`` does".
``lo`` starts just below what kexec needs to *load* the capture kernel and
initrd (the same arithmetic kexec-tools does, so sizes below it cannot
work); ``hi`` starts at twice that (or the set-up's own size, if larger) and is
proved by a rehearsal only if no smaller size captures (doubled while it
fails, up to half the VM).  Each step halves the window down to 4M, at
most MAX_TRIALS rehearsals in all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from kcheck.domain.memory import page_align
from kcheck.facts.image import footprint
from kcheck.rehearse.plan import Plan, boot_line
from kcheck.rehearse.report import FindMin, Trial
from kcheck.rehearse.verdict import Outcome
from kcheck.rehearse.run import rehearse_once

MiB = 1 << 20
STEP_MB = 4
MAX_TRIALS = 5


def load_floor_mb(setup: Any, capture_initrd: str) -> int:
    """Below this many MiB kexec cannot place the kernel, the initrd and its own data."""
    image = setup.capture.image
    kernel = footprint(image) if image is not None else None
    if not kernel:
        return 32
    need = kernel + page_align(os.stat(capture_initrd).st_size) + MiB
    return max(1, need // MiB - 1)


def recommend(minimum_mb: int) -> int:
    """The minimum plus max(32M, 25 %), rounded up to 16M."""
    padded = minimum_mb + max(32, -(-minimum_mb // 4))
    return -(-padded // 16) * 16


def find_min_crashkernel(plan: Plan, tools: Any, images: Any, setup: Any,
                         progress: Callable[[str], None] | None) -> tuple[FindMin, Outcome]:
    trials: list[Trial] = []
    crash = setup.crashkernel_facts if setup.cmdline is not None else {}
    given = (crash.get("size") or 0) // MiB
    lo = load_floor_mb(setup, images.capture_initrd)
    hi = max(given, 2 * lo, lo + STEP_MB)
    hi_proved = False
    last: Outcome | None = None

    def trial(size_mb: int) -> Outcome:
        line, _ = boot_line(setup.cmdline.text if setup.cmdline else None, crashkernel=f"{size_mb}M",
                            console=plan.console)
        if progress is not None:
            progress(f"find-min: rehearsal {len(trials) + 1}, crashkernel={size_mb}M")
        outcome = rehearse_once(plan, tools, images, boot_cmdline=line, progress=None)
        trials.append(Trial(size_mb, outcome))
        if progress is not None:
            progress(f"find-min: crashkernel={size_mb}M " + ("captured" if outcome.captured else
                                                             f"stopped at {outcome.stage or 'nothing reserved'}"))
        return outcome

    while hi - lo > STEP_MB and len(trials) < MAX_TRIALS - (0 if hi_proved else 1):
        mid = (lo + hi) // 2 // STEP_MB * STEP_MB
        if mid <= lo:
            mid = lo + STEP_MB
        last = trial(mid)
        if last.captured:
            hi, hi_proved = mid, True
        else:
            lo = mid
    while not hi_proved and hi <= plan.memory_mb // 2 and len(trials) < MAX_TRIALS + 2:
        last = trial(hi)
        hi_proved = last.captured
        if not hi_proved:
            lo, hi = hi, hi * 2
    minimum = hi if hi_proved else None
    margin = f"the minimum + max(32M, 25 %), rounded up to 16M; the minimum is exact to {max(hi - lo, 1)}M"
    result = FindMin(tuple(trials), minimum, recommend(minimum) if minimum else None, margin)
    assert last is not None
    return result, last
