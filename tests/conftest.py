"""Shared helpers: the repository's fixtures and running kcheck as users do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """The suite's own rule cache: never the user's, never one left by another checkout."""
    import tempfile

    import shutil

    directory = tempfile.mkdtemp(prefix="kcheck-test-cache-")
    os.environ["KCHECK_CACHE_DIR"] = directory  # inherited by every kcheck the tests start
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))


def run_kcheck(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kcheck`` in a real process, as the console script would."""
    # Run this checkout's kcheck whatever the working directory.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "kcheck", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, input=stdin, timeout=120)


@pytest.fixture
def kcheck():
    return run_kcheck


@pytest.fixture
def old_setup() -> dict[str, str]:
    """The correct 2.6.13 set-up of kdump.txt, as CLI arguments."""
    base = FIXTURES / "2.6.13"
    return {
        "--system-config": str(base / "system.config"),
        "--capture-config": str(base / "capture.config"),
        "--cmdline-file": str(base / "cmdline"),
        "--kexec": (base / "kexec").read_text().strip(),
    }


def as_args(options: dict[str, str]) -> list[str]:
    return [item for pair in options.items() for item in pair]
