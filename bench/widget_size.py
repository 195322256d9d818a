"""What the widget costs a site's visitors, in bytes, against its budget.

Prints the loader's size (what every page view of an embedding site downloads) and the frame's
first load (HTML, CSS, JS, icons and the vendored Socket.IO client), raw and gzipped, next to the
budgets, in one run. Exits 1 when a budget is exceeded.

    .venv/bin/python bench/widget_size.py
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"

# Budgets, gzipped bytes. The loader's comes from the issue (<= 5 KB); the frame's is what a
# commercial widget ships on first open (Crisp and Intercom load well over 100 KB).
LOADER_BUDGET = 5 * 1024
FRAME_BUDGET = 40 * 1024

FRAME_ASSETS = [
    "widget/frame.css",
    "widget/i18n.js",
    "widget/frame.js",
    "widget/icons.svg",
    "vendor/socket.io/socket.io.min.js",
]


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def frame_html() -> bytes:
    """The frame page as the server renders it."""
    sys.path.insert(0, str(ROOT))
    from support import create_app
    from support.cli import upgrade_schema

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": "bench",
                "ASYNC_MODE": "threading",
            }
        )
        with app.app_context():
            upgrade_schema(app)
        html = app.test_client().get("/widget/frame").get_data()
        with app.app_context():
            from support.extensions import db

            db.engine.dispose()
        return html


def row(name: str, data: bytes) -> tuple[int, int]:
    raw, small = len(data), gzipped(data)
    print(f"  {name:<40} {raw:>9,} {small:>9,}")
    return raw, small


def main() -> int:
    print(f"  {'file':<40} {'bytes':>9} {'gzipped':>9}")
    loader = row("widget.js (loader)", (STATIC / "widget/loader.js").read_bytes())[1]
    print()
    parts = [row("/widget/frame (HTML)", frame_html())]
    parts += [row(name, (STATIC / name).read_bytes()) for name in FRAME_ASSETS]
    raw = sum(p[0] for p in parts)
    small = sum(p[1] for p in parts)
    print(f"  {'frame first load, total':<40} {raw:>9,} {small:>9,}")
    idle = parts[:-1]  # Socket.IO loads only once the visitor has chatted (has a token)
    idle_raw, idle_small = sum(p[0] for p in idle), sum(p[1] for p in idle)
    print(f"  {'  of which before any chat (no Socket.IO)':<40} {idle_raw:>9,} {idle_small:>9,}")
    print()
    checks = [
        ("loader, gzipped", loader, LOADER_BUDGET),
        ("frame first load, gzipped", small, FRAME_BUDGET),
    ]
    over = False
    for name, value, budget in checks:
        verdict = "ok" if value <= budget else "OVER BUDGET"
        over |= value > budget
        print(
            f"  {name:<28} {value:>7,} B  budget {budget:>7,} B  ({value / budget:.0%})  {verdict}"
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
