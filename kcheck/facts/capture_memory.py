"""``kexec.run_needed`` and friends: the region the capture kernel needs to run in.

The model is :mod:`kcheck.domain.capture_memory` with the constants measured
by rehearsals (calibration/capture-memory.toml); this module feeds it the
set-up's capture kernel (init_size or PT_LOAD span), its architecture, and
the initrd the kexec command loads, read as the kernel unpacks it
(kcheck.inputs.initrd), whose listing says which working set applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kcheck.domain.arch import matches
from kcheck.domain.capture_memory import NotMeasured, RunNeed, run_need
from kcheck.domain.crashkernel_advice import MIN_SIZE
from kcheck.domain.errors import KcheckError
from kcheck.domain.units import human_size
from kcheck.facts.image import footprint
from kcheck.facts.protocol import MissingInput, Unknown

if TYPE_CHECKING:
    from kcheck.facts.setup import Setup


#: the cause when the kexec command's initrd is not on this machine or not an initramfs
INITRD_HERE = "the capture initrd, readable here"


class NotComputable(Exception):
    """The need cannot be computed; ``args[0]`` names what is missing (an option or a file).

    ``lower`` is the need without the initrd when only the initrd is missing: a region below
    it is too small whatever the initrd holds.  ``why`` says why the initrd could not be read.
    """

    def __init__(self, missing: str, lower: RunNeed | None = None, why: str = "") -> None:
        super().__init__(missing)
        self.lower = lower
        self.why = why


class NotJudged(NotComputable):
    """The inputs are there but the calibration cannot judge them (an arch never rehearsed)."""


def capture_run_need(setup: Setup) -> RunNeed:
    """The capture kernel's run-time need for this set-up."""
    image = setup.capture.image
    if image is None:
        raise NotComputable("--capture-image")
    kernel = footprint(image)
    if not kernel:
        raise NotComputable("--capture-image")
    arch = setup.capture.arch or setup.system.arch
    if arch is None:
        raise NotComputable("--arch")
    # Lazy: the calibration is TOML (tomllib costs a check without images ~5 ms) and
    # the initrd reader is needed only when there is a capture image to size.
    from kcheck.inputs.calibration import capture_memory_model
    from kcheck.inputs.initrd import read_initrd  # lazy: the initramfs reader, with an image only

    initrd_file = initrd_unpacked = 0
    kind, why = "unknown", "no initrd"
    kexec = setup.kexec
    if kexec is not None and kexec.initrd:
        try:
            info = read_initrd(kexec.initrd)
        except KcheckError as exc:
            try:  # the kind cannot be told either: the lightest working set, as for "unknown"
                lower = run_need(capture_memory_model(), arch=arch, kind="unknown", kernel=kernel,
                                 initrd_file=0, initrd_unpacked=0, kind_why="initrd unreadable")
            except NotMeasured as unmeasured:
                raise NotJudged(str(unmeasured)) from None
            raise NotComputable(INITRD_HERE, lower, exc.message) from None
        initrd_file, initrd_unpacked = info.size, info.unpacked_bytes
        kind, why = info.kind, info.kind_why
    try:
        return run_need(capture_memory_model(), arch=arch, kind=kind, kernel=kernel, initrd_file=initrd_file,
                        initrd_unpacked=initrd_unpacked, kind_why=why)
    except NotMeasured as exc:
        raise NotJudged(str(exc)) from None


def run_fact(setup: Setup, name: str) -> object:
    """``run_needed``, ``run_comfortable`` (needed + margin), ``run_detail`` or ``run_working_set``."""
    return _field(capture_run_need(setup), name)


def _field(need: RunNeed, name: str, detail: str | None = None) -> object:
    """The value of fact ``kexec.<name>`` of ``need`` (``detail``: its run_detail instead)."""
    if name == "run_needed":
        return need.minimum
    if name == "run_comfortable":
        return need.comfortable
    if name == "run_working_set":
        return need.working_set
    return need.describe() if detail is None else detail


def judged_run_fact(setup: Setup, name: str) -> object:
    """:func:`run_fact` for a rule, or why the rule cannot use it.

    Images are optional evidence, so without the capture image the run question is not
    applicable (``MissingInput``) -- except for a 64-bit region below KB007's floor, where
    whether a capture kernel runs depends on its image: not judged (``Unknown``), so such a
    verdict never reads as "OK".  With the image but an initrd not readable here, a region
    below the need without the initrd is too small whatever the initrd holds (the lower
    bound is returned, and the rule fails); above it the initrd decides: not judged.
    """
    region = setup.crashkernel_facts.get("size") if setup.cmdline is not None else None
    if setup.capture.image is None:
        arch = setup.capture.arch
        if isinstance(region, int) and region < MIN_SIZE and arch is not None and matches(arch, ("64bit",)):
            raise Unknown(f"whether a capture kernel runs in {human_size(region)} depends on its image "
                          f"(below {human_size(MIN_SIZE)}; give --capture-image)", "kexec.run_needed",
                          undecided=True)
        raise MissingInput("--capture-image")
    try:
        return run_fact(setup, name)
    except NotJudged as exc:
        raise Unknown(exc.args[0], f"kexec.{name}", undecided=True) from None
    except NotComputable as exc:
        lower = exc.lower
        if lower is None:
            raise MissingInput(exc.args[0]) from None
        if not isinstance(region, int) or region >= lower.minimum:
            raise Unknown(f"the capture initrd cannot be read here ({exc.why}), and its size decides "
                          f"whether the capture kernel runs in {human_size(region or 0)}",
                          "kexec.run_needed", undecided=True) from None
        return _field(lower, name, f"{lower.describe()}, at least: the initrd is not counted ({exc.why})")
