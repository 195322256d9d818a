"""Run every benchmark in turn (``make bench``); each prints its numbers against its baseline in
the same run, and writes its figures as JSON to ``bench-results/`` (or ``--results DIR``).

    .venv/bin/python bench/run_all.py            # everything (about 15 minutes)
    .venv/bin/python bench/run_all.py --quick    # small numbers, a minute or two
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("widget_size", "frame_load", "relay", "idle_sockets", "page_views", "search")


def script(name: str, *args: str) -> int:
    print(f"\n=== {name} {' '.join(args)} ===", flush=True)
    return subprocess.call([sys.executable, str(HERE / name), *args])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results", type=Path, default=HERE.parent / "bench-results")
    args = parser.parse_args()
    args.results.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name, arguments in plan(args.quick):
        failed |= script(f"{name}.py", *arguments, "--json", str(args.results / f"{name}.json"))
    return 1 if failed else 0


def plan(quick: bool) -> list[tuple[str, list[str]]]:
    """Each benchmark with its arguments (``--json`` aside): the full run, or tiny numbers."""
    arguments: dict[str, list[str]] = {name: [] for name in SCRIPTS}
    if quick:
        arguments["frame_load"] = ["--rounds", "3"]
        arguments["relay"] = ["--rates", "100,200,400,1000", "--duration", "2", "--visitors", "50"]
        arguments["relay"] += ["--refine", "1"]
        arguments["idle_sockets"] = ["--sockets", "1000"]
        arguments["page_views"] = ["--quick"]
        arguments["search"] = ["--conversations", "5000"]
    else:
        arguments["frame_load"] = ["--rounds", "7"]
        arguments["search"] = ["--conversations", "100000"]
    return list(arguments.items())


if __name__ == "__main__":
    sys.exit(main())
