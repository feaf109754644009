"""Write outputs atomically, and never over an input.

A report or fragment is written to a temporary file in the destination's
directory and renamed into place, so a reader never sees half a file and a
failure leaves any previous file intact.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from kcheck.errors import InputError


def refuse_inputs(path: str, inputs: Iterable[str | None]) -> None:
    """Raise if ``path`` names (or links to) one of the inputs."""
    target = os.path.realpath(path)
    for item in inputs:
        if item and os.path.realpath(item) == target:
            raise InputError(path, "refusing to write output over an input file")


def write_atomic(path: str, text: str, *, inputs: Iterable[str | None] = ()) -> None:
    """Replace ``path`` with ``text`` in one rename."""
    import tempfile

    refuse_inputs(path, inputs)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InputError(path, "is a directory")
    try:
        fd, temporary = tempfile.mkstemp(prefix=".kcheck-", dir=directory)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        os.unlink(temporary)
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from None
