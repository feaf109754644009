"""Reports for the fleet tests: real pre-flight reports of the fixture host trees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ROOT / "fixtures" / "hosts"
TREES = ("debian-healthy", "debian-broken", "fedora-healthy", "fedora-broken")
SCHEMAS = ROOT / "schemas"


def kcheck_env() -> dict[str, str]:
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def preflight_report(tree: str) -> dict:
    """``kcheck preflight --root fixtures/hosts/<tree> --format json``, run for real."""
    done = subprocess.run([sys.executable, "-m", "kcheck", "preflight", "--root", str(HOSTS / tree),
                           "--format", "json"], capture_output=True, text=True, env=kcheck_env(),
                          cwd=ROOT, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def write_reports(directory: Path, reports: dict[str, dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, report in reports.items():
        (directory / f"{name}.json").write_text(json.dumps(report))
    return directory


def schema_validator(name: str):
    """A validator for ``schemas/<name>`` that resolves the other schemas it names."""
    import jsonschema
    from referencing import Registry, Resource

    resources = []
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
        resources.append((path.name, Resource.from_contents(schema)))
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.Draft202012Validator(schema, registry=Registry().with_resources(resources))


#: Runs ARGV and writes its peak resident set (bytes) to the file PEAK.  A child
#: started straight from pytest would inherit pytest's own high-water mark:
#: Linux keeps the larger of the forked copy's and the new program's maxrss
#: across exec.  Started from this small process, it cannot.
_PEAK = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss * 1024))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(*args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run ``python -m kcheck ARGS``; also return its peak resident memory in bytes."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        peak = Path(tmp) / "peak"
        done = subprocess.run([sys.executable, "-c", _PEAK, str(peak), sys.executable, "-m", "kcheck", *args],
                              capture_output=True, text=True, env=kcheck_env(), cwd=ROOT, timeout=timeout)
        return done, int(peak.read_text())
