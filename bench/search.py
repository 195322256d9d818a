"""Transcript search at scale: the trigram index against a plain LIKE scan, in one run.

Seeds a fresh database with N demo conversations (``support seed-demo``'s generator), then times
the queries of the transcript list and ``GET /api/v1/conversations``, each with the index
(what the product runs) and without it (the baseline: ``LIKE`` over every message).

    .venv/bin/python bench/search.py                       # 20,000 conversations on SQLite
    .venv/bin/python bench/search.py --conversations 100000
    .venv/bin/python bench/search.py --database postgresql://127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support import create_app  # noqa: E402
from support.cli import upgrade_schema  # noqa: E402
from support.cli_seed import seed_demo  # noqa: E402
from support.extensions import db  # noqa: E402
from support.services.search import Search, search_conversations  # noqa: E402

QUERIES = [
    ("first page, no filter", {}),
    ("page 200", {"page": 200}),
    ("closed, newest first", {"status": "closed"}),
    ("q: common word", {"q": "order"}),
    ("q: rare word", {"q": "zebra"}),
    ("q: two words", {"q": "refund voucher"}),
    ("q: visitor name", {"q": "Olivia"}),
    ("q: word + closed + page 3", {"q": "parcel", "status": "closed", "page": 3}),
]


def timed(search: Search, indexed: bool, repeat: int) -> tuple[float, int]:
    """Median milliseconds of ``repeat`` runs, and the total count."""
    times, total = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        _, total = search_conversations(search, indexed=indexed)
        times.append((time.perf_counter() - start) * 1000)
        db.session.rollback()
    return statistics.median(times), total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="support-bench-"))
    url = args.database or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade_schema(app)
        start = time.perf_counter()
        made = seed_demo(args.conversations, seed=7)
        print(
            f"seeded {made['conversations']:,} conversations, {made['messages']:,} messages "
            f"on {db.engine.dialect.name} in {time.perf_counter() - start:.0f} s\n"
        )
        columns = ("indexed ms", "LIKE scan ms", "speed-up", "matches")
        header = f"{'query':30s} {columns[0]:>11s} {columns[1]:>13s} {columns[2]:>9s}"
        print(f"{header} {columns[3]:>8s}")
        for label, filters in QUERIES:
            search = Search(**filters)
            fast, total = timed(search, True, args.repeat)
            slow, baseline_total = timed(search, False, args.repeat)
            assert total == baseline_total, (label, total, baseline_total)
            print(f"{label:30s} {fast:11.1f} {slow:13.1f} {slow / fast:8.1f}x {total:8,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
