"""The benchmarks keep working: a run with tiny numbers, so ``make bench`` never rots."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.e2e


def run_bench(script: str, *args: str) -> dict:
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / f"smoke-{script}.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--json", str(path)],
        check=True,
        timeout=240,
    )
    return json.loads(path.read_text())


def test_relay_bench_measures_the_bare_relay_and_support_in_one_run():
    report = run_bench(
        "relay.py", "--targets", "bare,sqlite", "--rates", "20", "--duration", "1",
        "--visitors", "3",
    )  # fmt: skip
    assert report["machine"]["cores"] >= 1 and report["machine"]["flask-socketio"]
    for name in ("bare", "sqlite"):
        (step,) = report["results"][name]["steps"]
        assert step["sent"] == step["acked"] == step["delivered"] == 20, (name, step)
        assert step["errors"] == 0 and step["delivery_ms"]["p99"] is not None
    assert {row["target"] for row in report["targets"]} >= {
        "sqlite capacity vs bare relay",
        "sqlite delivery p99 at 100/s",
    }


def test_an_idle_visitor_socket_costs_less_memory_than_on_the_bare_stack():
    """1,000 idle sockets: about 19 KB each (a small process reuses heap it freed at start-up,
    so this is below the 10,000-socket figure), where the bare Flask-SocketIO relay costs 62 KB;
    33 KB while each socket's reads kept its request's greenlet, 45 with engineio's writer
    greenlet too (docs/performance.md, "Idle sockets")."""
    report = run_bench("idle_sockets.py", "--sockets", "1000", "--targets", "sqlite")
    result = report["results"]["sqlite"]
    assert result["still_connected"] == 1000
    assert result["kb_per_socket"] < 27, result
    assert result["healthz_ms"]["p99"] < 1000, result


@pytest.mark.parametrize("manager", ["plain", "queued"])
def test_pubsub_cost_bench_measures_both_ends_of_the_message_queue(manager):
    """``bench/pubsub_cost.py`` (two processes on one Redis channel) reports both sides, and
    every emit the sender made reached the receiver (it exits non-zero otherwise)."""
    from tests.helpers import require_redis

    require_redis()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pubsub_cost.py"), "--manager", manager]
        + ["--messages", "50", "--rate", "200"],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert "sender" in done.stdout, done.stdout + done.stderr
    assert "(100 of 100 emits)" in done.stdout, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_make_bench_runs_every_benchmark_and_writes_their_json(tmp_path):
    """``make bench``'s driver itself (``bench/run_all.py --quick``): each benchmark runs to its
    table without a traceback and leaves its JSON, with the machine it ran on. Targets may be
    missed on a busy machine, so its exit status is not asserted."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "--quick", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-4000:]
    for name in ("widget_size", "frame_load", "relay", "idle_sockets", "page_views", "search"):
        assert f"=== {name}.py" in output, name
        report = json.loads((tmp_path / f"{name}.json").read_text())
        assert report.get("machine", report.get("versions")), name
