"""``kexec.run_needed`` and friends: the region the capture kernel needs to run in.

The model is :mod:`kcheck.domain.capture_memory` with the constants measured
by rehearsals (calibration/capture-memory.toml); this module feeds it the
set-up's capture kernel (init_size or PT_LOAD span), its architecture, and
the initrd the kexec command loads, read as the kernel unpacks it
(kcheck.inputs.initrd), whose listing says which working set applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kcheck.domain.capture_memory import NotMeasured, RunNeed, run_need
from kcheck.domain.errors import KcheckError
from kcheck.facts.image import footprint

if TYPE_CHECKING:
    from kcheck.facts.setup import Setup


#: the cause when the kexec command's initrd is not on this machine or not an initramfs
INITRD_HERE = "the capture initrd, readable here"


class NotComputable(Exception):
    """The need cannot be computed; ``args[0]`` names what is missing (an option or a file)."""


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
    kind, why = "unknown", "no initrd, so the capture kernel runs the root's init"
    kexec = setup.kexec
    if kexec is not None and kexec.initrd:
        try:
            info = read_initrd(kexec.initrd)
        except KcheckError:
            raise NotComputable(INITRD_HERE) from None
        initrd_file, initrd_unpacked = info.size, info.unpacked_bytes
        kind, why = info.kind, info.kind_why
    try:
        return run_need(capture_memory_model(), arch=arch, kind=kind, kernel=kernel, initrd_file=initrd_file,
                        initrd_unpacked=initrd_unpacked, kind_why=why)
    except NotMeasured as exc:
        raise NotJudged(str(exc)) from None


def run_fact(setup: Setup, name: str) -> object:
    """``run_needed``, ``run_comfortable`` (needed + margin) or ``run_detail``."""
    need = capture_run_need(setup)
    if name == "run_needed":
        return need.minimum
    if name == "run_comfortable":
        return need.comfortable
    return need.describe()
