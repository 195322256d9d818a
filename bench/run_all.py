"""Run every benchmark in turn (``make bench``); each prints its numbers against its baseline in
the same run, and the relay and idle-socket figures are also written as JSON (with the core
count and the versions) to ``bench-results/``.

    .venv/bin/python bench/run_all.py            # everything (about 15 minutes)
    .venv/bin/python bench/run_all.py --quick    # small numbers, a minute or two
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "bench-results"
sys.path.insert(0, str(HERE))


def script(name: str, *args: str) -> int:
    print(f"\n=== {name} {' '.join(args)} ===", flush=True)
    return subprocess.call([sys.executable, str(HERE / name), *args])


def page_views(quick: bool) -> int:
    """Page views are measured by ``bench/page_views.py`` where it exists."""
    try:
        import page_views as module
    except ImportError:
        print("\n=== page_views.py: not present, skipped ===", flush=True)
        return 0
    print("\n=== page_views.py ===", flush=True)
    return module.run(quick) or 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    relay = ["--json", str(RESULTS / "relay.json")]
    idle = ["--json", str(RESULTS / "idle.json")]
    search = []
    if args.quick:
        relay += ["--rates", "100,400,1000", "--duration", "2", "--visitors", "50"]
        idle += ["--sockets", "1000"]
        search += ["--conversations", "5000"]
    else:
        search += ["--conversations", "100000"]
    failed = script("widget_size.py")
    rounds = "3" if args.quick else "7"
    failed |= script("frame_load.py", "--rounds", rounds, "--json", str(RESULTS / "frame.json"))
    failed |= script("relay.py", *relay)
    failed |= script("idle_sockets.py", *idle)
    failed |= page_views(args.quick)
    failed |= script("search.py", *search)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
