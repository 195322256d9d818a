"""The shared client core's unit tests (tests/js/, node's own test runner) as part of the suite,
so `make test` and CI run them with everything else."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.helpers import ROOT


def test_shared_client_core_passes_its_node_tests() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("NODE IS MISSING: the browser code's unit tests (tests/js/) did not run")
    done = subprocess.run(
        [node, "--test", "tests/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout, done.stdout[-2000:]
