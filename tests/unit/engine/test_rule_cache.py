"""The compiled-rule cache never serves stale rules and never breaks a check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kcheck.engine import rule_cache
from kcheck.engine.loader import load_rules
from kcheck.domain.errors import RuleError
from tests.conftest import ROOT
from tests.unit.engine.test_schemas import GOOD_RULE


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KCHECK_NO_CACHE", raising=False)
    monkeypatch.delenv("KCHECK_CACHE_DIR", raising=False)
    return tmp_path / "cache" / "kcheck" / "rules"


def test_second_load_comes_from_the_cache_and_equals_the_first(cache: Path) -> None:
    first = load_rules()
    assert len(list(cache.glob("*.pickle"))) == 1
    assert load_rules() == first


def test_an_edited_rule_file_is_compiled_again(cache: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(GOOD_RULE)
    assert any(r.id == "XT001" for r in load_rules([str(mine)]))
    mine.write_text(GOOD_RULE.replace("XT001", "XT002"))
    ids = {r.id for r in load_rules([str(mine)])}
    assert "XT002" in ids and "XT001" not in ids
    mine.write_text(GOOD_RULE.replace('severity = "warning"', 'severity = "fatal"'))
    with pytest.raises(RuleError):  # a broken edit is validated, never hidden by the cache
        load_rules([str(mine)])


def test_a_corrupt_cache_file_is_ignored(cache: Path) -> None:
    rules = load_rules()
    for entry in cache.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert load_rules() == rules


def test_an_unwritable_cache_does_not_matter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where a directory should be
    monkeypatch.delenv("KCHECK_CACHE_DIR", raising=False)
    assert len(load_rules()) > 50
    assert rule_cache.cache_dir().parent.parent == blocker


def _bundled_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled rules that load_rules reads instead of the real ones."""
    import shutil

    from kcheck.engine import loader

    rules_dir = tmp_path / "data" / "rules"
    shutil.copytree(loader.data_path("rules"), rules_dir)
    monkeypatch.setattr(loader, "data_path", lambda name: tmp_path / "data" / name)
    return rules_dir


def test_an_edited_bundled_rule_file_is_compiled_again(cache: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Bundled files are keyed by what stat says: an edit of the same length, its mtime then set
    back (``touch -r``, ``cp -p``, ``tar x``), still shows, because ctime cannot be set back."""
    import os
    import time

    rules_dir = _bundled_copy(tmp_path, monkeypatch)
    first = {r.id: r.title for r in load_rules()}
    target = next(p for p in sorted(rules_dir.glob("*.toml")) if 'title = "' in p.read_text())
    text = target.read_text()
    start = text.index('title = "') + len('title = "')
    before = target.stat()
    time.sleep(0.05)  # past the kernel's coarse timestamp tick
    target.write_text(text[:start] + "X" + text[start + 1:])  # same size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    second = {r.id: r.title for r in load_rules()}
    changed = [rule_id for rule_id in first if first[rule_id] != second[rule_id]]
    assert len(changed) == 1 and second[changed[0]].startswith("X")
    assert len(list(cache.glob("*.pickle"))) == 2


def test_hidden_files_among_the_bundled_rules_are_not_rules(cache: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor's lock file (``.#capture.toml``, a dangling symlink) is skipped, not a traceback."""
    rules_dir = _bundled_copy(tmp_path, monkeypatch)
    expected = load_rules()
    (rules_dir / ".#capture.toml").symlink_to("user@host.1234:1700000000")
    assert load_rules() == expected


def test_a_missing_bundled_rules_directory_is_one_clear_error(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from kcheck.engine import loader
    from kcheck.domain.errors import InputError

    monkeypatch.setattr(loader, "data_path", lambda name: tmp_path / "nowhere" / name)
    with pytest.raises(InputError, match="installation is incomplete"):
        load_rules()


def test_the_code_stamp_covers_every_module_that_compiles_rules() -> None:
    """code_stamp() stats only rule_cache.RULE_CODE: every kcheck module that loading and
    compiling the rules imports must be in it (else an edit there could serve a stale pickle)."""
    script = ("import sys, kcheck.engine.loader as loader; loader.load_rules(); import kcheck.inputs.validate; "
              "print(' '.join(m for m in sys.modules if m.startswith('kcheck.')))")
    env = dict(os.environ, KCHECK_NO_CACHE="1", PYTHONPATH=str(ROOT))
    loaded = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                            check=True, timeout=120).stdout.split()
    assert "kcheck.engine.predicates" in loaded
    assert [m for m in loaded if m.split(".")[1] not in rule_cache.RULE_CODE] == []
