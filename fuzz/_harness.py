"""Shared plumbing for the atheris harnesses in this directory.

Each ``fuzz_<reader>.py`` feeds libFuzzer's bytes to one kcheck reader.  The
contract every reader promises (README "Hostile input and fuzzing") is that
bad input raises :class:`kcheck.domain.errors.KcheckError` and nothing else, so a
harness swallows exactly that and lets any other exception crash the run,
which libFuzzer records as a crash artefact.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # fuzz this checkout, not an installed kcheck

import atheris  # noqa: E402

_TMP = tempfile.mkdtemp(prefix="kcheck-fuzz-")
atexit.register(shutil.rmtree, _TMP, True)


def as_file(data: bytes, name: str = "input") -> str:
    """Write ``data`` to a scratch file (readers take paths) and return its path."""
    path = os.path.join(_TMP, name)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def text_of(data: bytes) -> str:
    """Bytes as the readers see text: UTF-8 with the bad bytes kept visible."""
    return data.decode("utf-8", "surrogateescape")


def run(test_one_input: Callable[[bytes], None]) -> None:
    """``atheris.Setup`` + ``atheris.Fuzz`` with libFuzzer's own command line."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
