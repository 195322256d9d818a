"""What the widget costs a site's visitors, in bytes, against its budget.

Prints the loader's size (what every page view of an embedding site downloads) and the frame's
first load (HTML, CSS, the frame's ES modules, icons and the vendored Socket.IO client), raw and
gzipped, as the server sends them (its static build: minified, imports fingerprinted), next to
the budgets, in one run. The frame's modules are counted by following their imports. Of the
modules imported on demand, a visitor loads the texts of one language (the largest is counted)
and the attachment code only once a file is picked or shown (counted too: the worst case).
Exits 1 when a budget is exceeded.

    .venv/bin/python bench/widget_size.py
"""

from __future__ import annotations

import argparse
import gzip
import json
import posixpath
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"

# Budgets, gzipped bytes. The loader's comes from the issue (<= 5 KB); the frame's is what a
# commercial widget ships on first open (Crisp and Intercom load well over 100 KB).
LOADER_BUDGET = 5 * 1024
FRAME_BUDGET = 40 * 1024

FRAME_ENTRY = "widget/frame.js"  # an ES module: everything it imports counts too
FRAME_OTHER_ASSETS = [
    "widget/frame.css",
    "widget/icons.svg",
    "vendor/socket.io/socket.io.esm.min.js",
]


def module_graph(entry: str) -> tuple[list[str], list[str]]:
    """``entry`` and every module it imports statically, in the order first reached (what a
    browser fetches for the frame's script), and the modules only imported on demand
    (``import("./x.js")``)."""
    sys.path.insert(0, str(ROOT))
    from support.static_files import _RELATIVE_IMPORT

    seen: list[str] = []
    on_demand: list[str] = []
    todo = [entry]
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.append(name)
        text = (STATIC / name).read_text(encoding="utf-8")
        folder = posixpath.dirname(name)
        for keyword, _, spec in _RELATIVE_IMPORT.findall(text):
            target = posixpath.normpath(posixpath.join(folder, spec))
            (on_demand if "(" in keyword else todo).append(target)
    return seen, [name for name in dict.fromkeys(on_demand) if name not in seen]


def built(name: str, folder: Path) -> bytes:
    """A static file as the server sends it (under its plain name in the build)."""
    return (folder / name).read_bytes()


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
    from support.static_files import build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = report(build(STATIC, Path(tmp)).folder)
    if args.json:
        sys.path.insert(0, str(ROOT / "bench"))
        from relay import machine

        args.json.write_text(json.dumps({**figures, "machine": machine()}, indent=1))
    return 0 if figures["within_budgets"] else 1


def report(folder: Path) -> dict:
    """Print the table; the gzipped sizes and whether both are within budget."""
    print(f"  {'file':<40} {'bytes':>9} {'gzipped':>9}")
    loader = row("widget.js (loader)", built("widget/loader.js", folder))[1]
    print()
    parts = [row("/widget/frame (HTML)", frame_html())]
    modules, on_demand = module_graph(FRAME_ENTRY)
    parts += [row(name, built(name, folder)) for name in modules]
    languages = [name for name in on_demand if "/i18n/" in name]
    largest = max(languages, key=lambda name: gzipped(built(name, folder)))
    parts.append(row(f"{largest} (largest language)", built(largest, folder)))
    parts += [row(name, built(name, folder)) for name in FRAME_OTHER_ASSETS]
    raw = sum(p[0] for p in parts)
    small = sum(p[1] for p in parts)
    print(f"  {'frame first load, total':<40} {raw:>9,} {small:>9,}")
    idle = parts[:-1]  # Socket.IO loads only once the visitor has chatted (has a token)
    idle_raw, idle_small = sum(p[0] for p in idle), sum(p[1] for p in idle)
    print(f"  {'  of which before any chat (no Socket.IO)':<40} {idle_raw:>9,} {idle_small:>9,}")
    files = [name for name in on_demand if name not in languages]
    later = [row(f"{name} (with a file)", built(name, folder)) for name in files]
    if later:
        print(
            f"  {'  and once a file is picked or shown':<40} "
            f"{raw + sum(p[0] for p in later):>9,} {small + sum(p[1] for p in later):>9,}"
        )
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
    return {
        "benchmark": "widget_size",
        "loader_gzip": loader,
        "frame_first_load_gzip": small,
        "frame_before_any_chat_gzip": idle_small,
        "budgets": {"loader": LOADER_BUDGET, "frame_first_load": FRAME_BUDGET},
        "within_budgets": not over,
    }


if __name__ == "__main__":
    sys.exit(main())
