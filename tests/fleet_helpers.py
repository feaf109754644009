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


def run_measured(*args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run ``python -m kcheck ARGS``; also return the child's peak resident memory in bytes."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "kcheck", *args], stdout=out, stderr=err,
                                env=kcheck_env(), cwd=ROOT, text=True)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            proc.returncode = proc.returncode if proc.returncode is not None else 0
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(proc.args, os.waitstatus_to_exitcode(status), out.read(), err.read())
    return done, usage.ru_maxrss * 1024
