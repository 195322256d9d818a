"""``pip install .`` must work outside the checkout: the wheel carries the templates, static
files and migrations that the top-level folders hold in the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from tests.helpers import ROOT


def test_wheel_ships_templates_static_and_migrations(tmp_path):
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path)]
    done = subprocess.run([*command, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("support-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "support/templates/widget/frame.html",
        "support/templates/base.html",
        "support/static/widget/loader.js",
        "support/static/vendor/socket.io/socket.io.esm.min.js",
        "support/migrations/versions/0001_initial_schema.py",
        "support/migrations/alembic.ini",
        "support/migrations/env.py",
    ):
        assert expected in names, expected
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "support = support.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
