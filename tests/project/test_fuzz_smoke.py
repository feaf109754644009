"""A short run of every atheris harness in fuzz/ (the long run is ``fuzz/run.sh 600``).

Each harness starts from its committed seed corpus and mutates for a few
seconds; any exception other than kcheck's own errors crashes it and fails
its test here, with libFuzzer's report of the input.  The harnesses run in
parallel (a handful at a time) so the whole smoke run stays well under a
minute.  Skipped, with the reason, where atheris is not installed
(``pip install '.[fuzz]'``: a manylinux wheel for x86_64 Linux).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.conftest import ROOT

FUZZ = ROOT / "fuzz"
HARNESSES = sorted(path.stem for path in FUZZ.glob("fuzz_*.py"))
SECONDS = int(os.environ.get("KCHECK_FUZZ_SMOKE_SECONDS", "4"))

try:
    import atheris  # noqa: F401
except ImportError:
    atheris = None


def _run(name: str, work: Path) -> subprocess.CompletedProcess[str]:
    corpus = work / name  # new inputs go here; the committed seeds are only read
    corpus.mkdir()
    return subprocess.run(
        [sys.executable, str(FUZZ / f"{name}.py"), str(corpus), str(FUZZ / "corpus" / name),
         f"-max_total_time={SECONDS}", "-timeout=30", "-rss_limit_mb=2048", "-max_len=8192",
         f"-artifact_prefix={work}/{name}-", "-print_final_stats=1"],
        capture_output=True, text=True, errors="replace", timeout=SECONDS * 10 + 120, cwd=work)


@pytest.fixture(scope="module")
def smoke_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    if atheris is None:
        pytest.skip("atheris is not installed (pip install '.[fuzz]'); the fuzz harnesses were not run")
    with tempfile.TemporaryDirectory(prefix="kcheck-fuzz-smoke-") as tmp:
        workers = max(1, min(4, os.cpu_count() or 1))
        with ThreadPoolExecutor(workers) as pool:
            futures = {name: pool.submit(_run, name, Path(tmp)) for name in HARNESSES}
            return {name: future.result() for name, future in futures.items()}


def test_every_reader_has_a_harness_and_seeds() -> None:
    assert HARNESSES == ["fuzz_bzimage", "fuzz_cmdline", "fuzz_compressed", "fuzz_config", "fuzz_elf",
                         "fuzz_host", "fuzz_kexec", "fuzz_manifest", "fuzz_rules", "fuzz_waivers"]
    for name in HARNESSES:
        seeds = list((FUZZ / "corpus" / name).iterdir())
        assert seeds and all(seed.stat().st_size < 16 * 1024 for seed in seeds), name


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_survives_a_short_run(smoke_runs: dict[str, subprocess.CompletedProcess[str]], name: str) -> None:
    result = smoke_runs[name]
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert "seed corpus: files:" in log  # the committed seeds were loaded
    runs = int(log.split("stat::number_of_executed_units:")[1].split()[0])
    assert runs > 50, log[-3000:]
