"""The layout the README describes holds: the layer contract, one value-type system, the size limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: The brief's "no module over ~400 lines".
MAX_LINES = 400


def test_import_linter_contracts_are_kept() -> None:
    """`lint-imports` (as .ci/run runs it) keeps the layers and no-cycles contracts."""
    script = Path(sys.executable).parent / "lint-imports"
    if not script.exists():
        pytest.skip("import-linter is not installed (pip install '.[test]')")
    result = subprocess.run([str(script), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    # Every contract is there, and was checked.
    for name in ("One-way layers", "No import cycles", "facts protocol"):
        assert name in result.stdout


def test_the_contracts_ignore_no_import() -> None:
    """No cycle is waved through: no contract lists ``ignore_imports`` (or unmatched-ignore leniency),
    and the no-cycles contract covers every package of kcheck."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = config["contracts"]
    assert [c["name"] for c in contracts if c.get("ignore_imports") or c.get("unmatched_ignore_imports_alerting")] == []
    acyclic = [c for c in contracts if c["type"] == "acyclic_siblings"]
    assert [c["ancestors"] for c in acyclic] == [["kcheck"]]


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in (ROOT / "kcheck").rglob("*.py")}
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}


def test_one_value_type_system() -> None:
    """Value types are @record (kcheck/domain/records.py), never dataclasses."""
    users = [str(p.relative_to(ROOT)) for p in (ROOT / "kcheck").rglob("*.py")
             if "dataclasses" in p.read_text() and p.name != "records.py"]
    assert users == []


def test_every_function_level_import_says_why_it_is_lazy() -> None:
    """An import inside a function hides an edge of the graph; it is there only for start-up
    speed (or an optional dependency), and says so: a ``lazy`` comment on its line or just above."""
    import ast

    unexplained = []
    for path in sorted((ROOT / "kcheck").rglob("*.py")):
        lines = path.read_text().splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    text = "\n".join(lines[node.lineno - 1:node.end_lineno])
                    above = lines[node.lineno - 3:node.lineno - 1]
                    if "lazy" not in text.lower() and not any(l.strip().startswith("#") and "lazy" in l.lower()
                                                              for l in above):
                        unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert sorted(set(unexplained)) == []


def test_every_module_imports() -> None:
    """Every module of kcheck imports, in a fresh interpreter.

    A name imported from a module that no longer defines it (or re-exports it)
    breaks only the path that imports that module, which a test may never
    take: rehearse's find-min imported page_align from facts.image after it
    had moved.
    """
    code = ("import importlib, pkgutil, kcheck\n"
            "for m in pkgutil.walk_packages(kcheck.__path__, 'kcheck.'):\n"
            "    importlib.import_module(m.name)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
