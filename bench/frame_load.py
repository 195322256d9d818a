"""The widget frame's first load over a slow network: with and without ``modulepreload`` hints.

The frame is ES modules about four imports deep. Without hints the browser learns of each level
only once the level above has arrived, so a first view pays one round trip per level. The frame
page names every module it imports statically (``<link rel="modulepreload">``), so they can all
be fetched at once.

In one run, against a real ``support serve``: Chromium with an empty cache and DevTools' network
emulation (a round-trip time per request) opens ``/widget/frame`` as served, and the same page
with the hints taken out (rewritten in the browser, so nothing else differs), alternating, and
reports the median time to ``DOMContentLoaded`` (module scripts run before it).

    .venv/bin/python bench/frame_load.py [--rounds N] [--rtt MS ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import helpers  # noqa: E402

PRELOAD = re.compile(r'<link rel="modulepreload" href="[^"]+">\n?')
VARIANTS = ("with hints", "without hints")


def _load_once(browser, frame_url: str, rtt_ms: float, strip_hints: bool) -> float:
    """Milliseconds from navigation to the end of DOMContentLoaded, on a fresh context."""
    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": rtt_ms,
                "downloadThroughput": 1_250_000,  # 10 Mbit/s
                "uploadThroughput": 625_000,
            },
        )

        def serve_frame(route):
            response = route.fetch()
            body = response.text()
            if strip_hints:
                body = PRELOAD.sub("", body)
            route.fulfill(response=response, body=body)

        page.route("**/widget/frame*", serve_frame)
        page.goto(frame_url, wait_until="domcontentloaded")
        timing = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return n.domContentLoadedEventEnd - n.startTime; }"
        )
        hints = page.evaluate("() => document.querySelectorAll('link[rel=modulepreload]').length")
        assert (hints == 0) == strip_hints, hints
        return float(timing)
    finally:
        context.close()


def measure(frame_url: str, rtts: list[float], rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    results: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for rtt in rtts:
                times: dict[str, list[float]] = {v: [] for v in VARIANTS}
                _load_once(browser, frame_url, rtt, False)  # warm the server's caches
                for n in range(rounds):
                    order = VARIANTS if n % 2 == 0 else VARIANTS[::-1]
                    for variant in order:
                        strip = variant == "without hints"
                        times[variant].append(_load_once(browser, frame_url, rtt, strip))
                results[f"{rtt:g} ms"] = {v: statistics.median(t) for v, t in times.items()}
        finally:
            browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--rtt", type=float, nargs="+", default=[50, 150])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    server = helpers.Server.start(Path(tempfile.mkdtemp()), {})
    try:
        results = measure(server.url + "/widget/frame", args.rtt, args.rounds)
    finally:
        server.discard()
    print(f"{'round trip':>12}  {'with hints':>12}  {'without hints':>14}  saved")
    for rtt, row in results.items():
        with_, without = row["with hints"], row["without hints"]
        print(f"{rtt:>12}  {with_:>9.0f} ms  {without:>11.0f} ms  {without - with_:.0f} ms")
    if args.json:
        sys.path.insert(0, str(ROOT / "bench"))
        from relay import machine

        report = {"benchmark": "frame_load", "rounds": args.rounds, "medians_ms": results}
        args.json.write_text(json.dumps({**report, "machine": machine()}, indent=1))


if __name__ == "__main__":
    main()
