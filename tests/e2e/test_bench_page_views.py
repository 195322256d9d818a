"""The page-view benchmark's smoke run: tiny numbers, so ``make bench`` never rots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_page_views_bench_runs_and_marks_its_targets():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not shutil.which("wrk"):
        pytest.skip("PAGE-VIEW BENCH SKIPPED: wrk is not installed (apt-get install -y wrk)")
    from bench import page_views

    result = page_views.run(quick=True)
    assert result["cores"] >= 1 and result["versions"]["whitenoise"]
    assert {"bare", "config", "config_304", "frame", "frame_304"} <= set(result["rates"])
    assert all(row["rps"] > 0 and row["errors"] == 0 for row in result["rates"].values())
    paths = [entry["path"] for entry in result["browser"]["first_to_server"]]
    assert "/widget.js" in paths and any(p.startswith("/widget/frame") for p in paths)
    assert len(result["targets"]) == 7 and all(
        isinstance(v, bool) for v in result["targets"].values()
    )
    # What does not depend on the machine's load holds even in a smoke run.
    assert result["targets"][
        "repeat view: at most 2 requests reach the server, all 304 or static files"
    ]
    assert result["targets"]["loader on the wire (gzip) <= 5 KB"]
