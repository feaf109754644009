"""The fleet HTML page in real headless chromium: a row per host, the memory maps render,
sorting works, hostile report text stays text, and the console stays clean."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from chromium_cdp import Browser, chromium_path
from fleet_helpers import TREES, preflight_report, write_reports

pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="chromium is not installed (.ci/setup-host installs it)")
EVIL = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    from conftest import run_kcheck

    base = tmp_path_factory.mktemp("browser")
    reports = {tree: preflight_report(tree) for tree in TREES}
    evil = copy.deepcopy(reports["fedora-broken"])
    evil["inputs"]["host"]["release"] = EVIL
    evil["verdict"]["reason"] = EVIL
    directory = write_reports(base / "reports", reports)
    (directory / "evil.json").write_text(json.dumps({"host": EVIL, "report": evil, "error": None}))
    (directory / "gone.json").write_text(json.dumps({"host": "gone", "report": None, "error": "unreachable"}))
    out = base / "fleet.html"
    done = run_kcheck("fleet", str(directory), "--format", "html", "--output", str(out))
    assert done.returncode == 1, done.stderr
    return out


def test_page_in_headless_chromium(page, tmp_path):
    with Browser() as browser:
        browser.open(page)
        assert browser.evaluate("document.title") == "kcheck fleet: 6 hosts"     # no injected script ran
        rows = browser.evaluate("Array.from(document.querySelectorAll('#hosts tbody tr'))"
                                ".map(r => r.cells[0].textContent)")
        assert sorted(rows) == sorted([*TREES, EVIL, "gone"])                  # the hostile name is text
        assert browser.evaluate("document.querySelectorAll('img, #hosts script').length") == 0
        pictures = browser.evaluate("""Array.from(document.querySelectorAll('#hosts svg.map')).map(s => {
            const box = s.getBoundingClientRect();
            return [box.width, box.height, s.querySelectorAll('rect').length]; })""")
        assert len(pictures) == 6
        drawn = [p for p in pictures if p[2] > 0]
        assert len(drawn) == 5 and all(w >= 400 and h >= 60 for w, h, _ in drawn)   # 'gone' has no map
        # The healthy Debian host's region, enlarged: its capture kernel spans half of the 128M region.
        widths = browser.evaluate("""(() => {
            const row = Array.from(document.querySelectorAll('#hosts tbody tr'))
                .find(r => r.cells[0].textContent === 'debian-healthy');
            return Array.from(row.querySelectorAll('svg rect')).filter(r => r.querySelector('title')).map(r =>
                [r.querySelector('title').textContent, r.getBBox().width]); })()""")
        kernel = next(w for t, w in widths if t.startswith("capture kernel"))
        region = max(w for t, w in widths if t.startswith("crashkernel region"))   # the enlarged one
        assert 0.45 < kernel / region < 0.55
        # Sorting: by host name, then back.
        browser.evaluate("document.querySelector('#hosts th').click()")
        first = browser.evaluate("document.querySelector('#hosts tbody tr').cells[0].textContent")
        assert first == EVIL                                                    # '<' sorts first
        browser.evaluate("document.querySelector('#hosts th').click()")
        assert browser.evaluate("document.querySelector('#hosts th').getAttribute('aria-sort')") == "descending"
        assert browser.evaluate("document.querySelector('#hosts tbody tr').cells[0].textContent") == "gone"
        browser.evaluate("document.querySelectorAll('#hosts th')[1].click()")  # verdict: worst first
        verdicts = browser.evaluate("Array.from(document.querySelectorAll('#hosts tbody tr')).map(r => r.className)")
        assert verdicts[:3] == ["v-will-not-capture"] * 3 and verdicts[-2:] == ["v-captures"] * 2
        assert browser.problems() == []
        shot = browser.screenshot(Path(os.environ.get("KCHECK_SCREENSHOT_DIR", tmp_path)) / "fleet.png")
        assert shot.stat().st_size > 10_000
