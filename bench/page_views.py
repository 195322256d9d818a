"""Page views of a visitor who never chats: what they cost the server, against a bare Flask route.

In one run, with a real ``support serve`` process on one core and the load on the other:

1. Chromium (Playwright) opens a host page that embeds the widget, then opens it again some
   seconds later (past the config's max-age), and records which requests reach the server: the
   first view and the repeat view.
2. ``wrk`` replays those requests (the first view with ``Accept-Encoding``, the repeat view with
   ``If-None-Match``), and measures ``/api/widget/config`` and ``/widget/frame`` alone, first
   and 304, against a bare Flask route served the same way (``bench/bare_flask.py``).
3. The loader's and the frame's first load on the wire with gzip, against their budgets.

Prints a table with every target met or missed and writes JSON (core count, versions).

    .venv/bin/python bench/page_views.py [--quick] [--json PATH] [--source OLD_CHECKOUT]

``--source`` serves another checkout's ``support`` (e.g. ``git archive`` of an older commit) to
record before/after figures. ``bench/run_all.py`` calls ``run(quick)``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import helpers  # noqa: E402

SERVER_CORE, LOAD_CORE = 0, 1
CONFIG_MAX_AGE = 5  # seconds; the repeat view comes after it, so the config is revalidated
REPEAT_AFTER = CONFIG_MAX_AGE + 1.5
LOADER_BUDGET = 5 * 1024
FRAME_BUDGET = 40 * 1024
MAX_REPEAT_REQUESTS = 2
MIN_RATIO = 0.7
SOCKET_CLIENT = re.compile(r'data-socketio="([^"]+)"')
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


# --- processes ----------------------------------------------------------------------------------


@contextlib.contextmanager
def pinned(core: int):
    """Processes started inside inherit this CPU affinity (all their threads)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core % os.cpu_count()})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@contextlib.contextmanager
def support_server(workdir: Path, source: Path | None):
    """A real ``support serve`` (this checkout, or ``source``'s) pinned to the server core."""
    original = helpers.ROOT
    helpers.ROOT = source or original  # `python -m support` imports from its working directory
    try:
        with pinned(SERVER_CORE):
            server = helpers.Server.start(workdir, {"SUPPORT_LIMIT_NEW_VISITORS": "0"})
    finally:
        helpers.ROOT = original
    try:
        yield server
    finally:
        server.discard()


@contextlib.contextmanager
def bare_server():
    """``bench/bare_flask.py`` pinned to the server core; yields its URL and pid."""
    port = helpers.free_port()
    with pinned(SERVER_CORE):
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "bare_flask.py"), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        helpers.wait_until(lambda: _answers(url + "/healthz"), timeout=20, what="bare server")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


# --- what a browser asks for --------------------------------------------------------------------


class _HostPage(http.server.BaseHTTPRequestHandler):
    html = b""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def host_site(support_url: str):
    """A page on another site (``localhost`` against the server's ``127.0.0.1``) with the
    one-line embed."""
    handler = type("Host", (_HostPage,), {})
    handler.html = (
        "<!doctype html><html><head><title>Host</title></head><body><p>An article.</p>"
        f"<script src='{support_url}/widget.js' async></script></body></html>"
    ).encode()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}/article"
    finally:
        httpd.shutdown()


class _Recorder:
    """Requests to the server seen through the DevTools protocol: which came from the
    browser's cache and which went over the network, with their status."""

    def __init__(self, page, origin: str) -> None:
        self.origin, self.seen, self.wire_status = origin, {}, {}
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._cached)
        cdp.on("Network.responseReceived", self._answered)
        cdp.on("Network.responseReceivedExtraInfo", self._on_the_wire)

    def _sent(self, event) -> None:
        url = event["request"]["url"]
        if url.startswith(self.origin):
            self.seen[event["requestId"]] = {"path": url[len(self.origin) :], "network": True}

    def _cached(self, event) -> None:
        if event["requestId"] in self.seen:
            self.seen[event["requestId"]]["network"] = False

    def _answered(self, event) -> None:
        entry = self.seen.get(event["requestId"])
        if entry is not None:
            response = event["response"]
            entry["status"] = response["status"]
            if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
                entry["network"] = False

    def _on_the_wire(self, event) -> None:
        """The status as it came over the network (a revalidated copy is reported as the cached
        200 by ``responseReceived``, but arrived as a 304)."""
        self.wire_status[event["requestId"]] = event["statusCode"]  # may come first

    def take(self) -> list[dict]:
        entries = []
        for request_id, entry in self.seen.items():
            if request_id in self.wire_status:
                entry["status"] = self.wire_status[request_id]
            entries.append(entry)
        self.seen, self.wire_status = {}, {}
        return entries


def _view(page, recorder: _Recorder, url: str) -> list[dict]:
    page.goto(url)
    page.wait_for_selector("iframe[data-testid=support-frame]", state="attached")
    page.frame_locator("iframe[data-testid=support-frame]").locator("#panel").wait_for(
        state="attached"
    )
    page.wait_for_load_state("networkidle")
    time.sleep(1)
    return recorder.take()


def browser_views(support_url: str) -> dict:
    """The requests of a first view and of a repeat view (``REPEAT_AFTER`` seconds later) of
    a page embedding the widget, recorded in Chromium. In a thread of its own: Playwright's
    sync API refuses to start where another instance runs (the test suite's browser)."""
    outcome: dict = {}

    def record() -> None:
        try:
            outcome["views"] = _record_views(support_url)
        except Exception as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=record)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["views"]


def _record_views(support_url: str) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    with host_site(support_url) as page_url, sync_playwright() as playwright:
        # The frame in the page's own process, so one DevTools session sees its requests too.
        in_process = ["--disable-site-isolation-trials", "--disable-features=site-per-process"]
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + in_process
        )
        try:
            page = browser.new_page()
            recorder = _Recorder(page, support_url)
            first = _view(page, recorder, page_url)
            page.goto("about:blank")
            time.sleep(REPEAT_AFTER)
            repeat = _view(page, recorder, page_url)
            version = browser.version
        finally:
            browser.close()
    return {"first": first, "repeat": repeat, "chromium": version}


# --- load ---------------------------------------------------------------------------------------

_WRK_SCRIPT = """
local requests = {}
local index = 0
init = function(args)
  local specs = %s
  for i, spec in ipairs(specs) do
    requests[i] = wrk.format("GET", spec[1], spec[2])
  end
end
request = function()
  index = index %% #requests + 1
  return requests[index]
end
"""


def _lua(requests_list: list[tuple[str, dict]]) -> str:
    def quote(text: str) -> str:
        return json.dumps(text)  # JSON string syntax is valid Lua for these ASCII strings

    def spec(path: str, headers: dict) -> str:
        fields = ", ".join(f"[{quote(k)}] = {quote(v)}" for k, v in headers.items())
        return "{" + quote(path) + ", {" + fields + "}}"

    specs = ", ".join(spec(path, headers) for path, headers in requests_list)
    return _WRK_SCRIPT % ("{" + specs + "}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(target, requests_list: list[tuple[str, dict]], seconds: float, connections: int):
    """``wrk`` cycling through ``requests_list`` against ``target`` (URL, server pid): its
    requests/s and p50/p99 latency (ms), and the server's CPU time per request, whose inverse
    (``capacity``, requests/s on one core of its own) does not depend on what else the shared
    machine is running."""
    base, pid = target
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(requests_list))
    try:
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
        command += ["-s", script.name, base]
        cpu_before = cpu_seconds(pid)
        with pinned(LOAD_CORE):
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        cpu = cpu_seconds(pid) - cpu_before
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    count = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": round(rate, 1),
        "cpu_us": round(cpu / count * 1e6, 1) if count else None,
        "capacity": round(count / cpu, 1) if cpu else 0.0,
        "p50_ms": _latency(output, "50%"),
        "p99_ms": _latency(output, "99%"),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _latency(output: str, label: str) -> float | None:
    match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", output)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    return round(value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


def paired(times: int, measure, baseline) -> tuple[dict, list[dict]]:
    """``measure`` and the bare route's ``baseline`` in turn, ``times`` times, on the same
    core, compared by server CPU per request (``capacity``): wall-clock rates on a machine
    other processes share swing by 2x from one run to the next. Keeps the median ratio; the
    wall-clock ratio of the same pair is kept too."""
    pairs = []
    for _ in range(times):
        bare = baseline()
        run = measure()
        ratio = run["capacity"] / bare["capacity"] if bare["capacity"] else 0.0
        pairs.append((ratio, run, bare))
    pairs.sort(key=lambda pair: pair[0])
    ratio, run, bare = pairs[len(pairs) // 2]
    summary = {
        **run,
        "vs_bare": round(ratio, 2),
        "rps_vs_bare": round(run["rps"] / bare["rps"], 2) if bare["rps"] else 0.0,
        "runs": [round(pair[1]["rps"]) for pair in pairs],
        "ratios": [round(pair[0], 2) for pair in pairs],
    }
    return summary, [pair[2] for pair in pairs]


def etag(url: str) -> str | None:
    return requests.get(url, headers=GZIP, timeout=10).headers.get("ETag")


def repeat_headers(base: str, path: str) -> dict:
    """What a browser sends again for a file it has: the validator of its cached copy."""
    tag = etag(base + path)
    return {**GZIP, "If-None-Match": tag} if tag else dict(GZIP)


# --- bytes on the wire --------------------------------------------------------------------------


def wire_size(url: str) -> int:
    """Bytes of the body as sent to a browser that accepts gzip (only)."""
    answer = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    return len(answer.raw.read(decode_content=False))


def wire_sizes(base: str, first_view: list[dict]) -> dict:
    """The loader, and the frame's first load (everything the frame loads, plus the Socket.IO
    client it loads once a chat starts)."""
    frame_path = next(e["path"] for e in first_view if e["path"].startswith("/widget/frame"))
    html = requests.get(base + frame_path, timeout=10).text
    paths = [e["path"] for e in first_view if e["path"] != "/widget.js"]
    paths = list(dict.fromkeys(paths + [SOCKET_CLIENT.search(html).group(1)]))
    files = {path: wire_size(base + path) for path in paths}
    return {"loader": wire_size(base + "/widget.js"), "frame_first_load": sum(files.values())}


# --- the run ------------------------------------------------------------------------------------


def _versions() -> dict:
    names = ("flask", "werkzeug", "eventlet", "flask-socketio", "whitenoise", "brotli")
    versions = {"python": platform.python_version()}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    wrk_banner = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    versions["wrk"] = (wrk_banner.stdout + wrk_banner.stderr).split("\n")[0].strip()
    return versions


def _measure_server(target, bare, views: dict, seconds: float, times: int) -> dict:
    """``target`` and ``bare``: (URL, pid) of the server and of the bare route."""
    base = target[0]
    first = [(e["path"], dict(GZIP)) for e in views["first"] if e["network"]]
    repeat = [(e["path"], repeat_headers(base, e["path"])) for e in views["repeat"] if e["network"]]
    frame_path = next(p for p, _ in first if p.startswith("/widget/frame"))
    load = {
        "config": [("/api/widget/config", dict(GZIP))],
        "config_304": [("/api/widget/config", repeat_headers(base, "/api/widget/config"))],
        "frame": [(frame_path, dict(GZIP))],
        "frame_304": [(frame_path, repeat_headers(base, frame_path))],
        "first_view": first,
        "repeat_view": repeat or [("/healthz", {})],
    }
    rates, baselines = {}, []
    for name, reqs in load.items():
        rates[name], bare_runs = paired(
            times,
            lambda r=reqs: wrk(target, r, seconds, connections=10),
            lambda: wrk(bare, [("/bare", dict(GZIP))], seconds, connections=10),
        )
        baselines += bare_runs
    baselines.sort(key=lambda run: run["capacity"])
    rates["bare"] = {**baselines[len(baselines) // 2], "runs": [round(b["rps"]) for b in baselines]}
    return rates


def _targets(result: dict) -> dict:
    rates = result["rates"]
    repeat = result["browser"]["repeat_to_server"]
    targets = {
        "repeat view: at most 2 requests reach the server, all 304 or static files": (
            len(repeat) <= MAX_REPEAT_REQUESTS
            and all(e.get("status") == 304 or e["path"].startswith("/static/") for e in repeat)
        ),
        "loader on the wire (gzip) <= 5 KB": result["wire"]["loader"] <= LOADER_BUDGET,
        "frame first load on the wire (gzip) <= 40 KB": (
            result["wire"]["frame_first_load"] <= FRAME_BUDGET
        ),
    }
    for name in ("config", "config_304", "frame", "frame_304"):
        targets[f"{name} >= {MIN_RATIO}x the bare route"] = rates[name]["vs_bare"] >= MIN_RATIO
    return targets


def run(quick: bool = False, source: Path | None = None) -> dict:
    """Measure everything once; ``quick`` with tiny numbers (the test suite's smoke run)."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    seconds, times = (1, 1) if quick else (4, 3)
    with tempfile.TemporaryDirectory() as tmp:
        with support_server(Path(tmp), source) as server, bare_server() as bare:
            views = browser_views(server.url)
            target = (server.url, server.process.pid)
            rates = _measure_server(target, bare, views, seconds, times)
            wire = wire_sizes(server.url, views["first"])
    result = {
        "benchmark": "page_views",
        "quick": quick,
        "source": str(source or ROOT),
        "cores": os.cpu_count(),
        "server_core": SERVER_CORE,
        "load_core": LOAD_CORE,
        "load_average": os.getloadavg()[0],
        "versions": {**_versions(), "chromium": views["chromium"]},
        "browser": {
            "first_view": views["first"],
            "repeat_view": views["repeat"],
            "first_to_server": [e for e in views["first"] if e["network"]],
            "repeat_to_server": [e for e in views["repeat"] if e["network"]],
        },
        "rates": rates,
        "wire": wire,
    }
    result["targets"] = _targets(result)
    return result


def print_table(result: dict) -> None:
    browser, rates, wire = result["browser"], result["rates"], result["wire"]
    print(
        f"page views, {result['cores']} cores (server on core {result['server_core']}, "
        f"wrk on core {result['load_core']}), load average {result['load_average']:.1f}"
    )
    for view in ("first", "repeat"):
        sent = browser[f"{view}_to_server"]
        print(f"  {view} view: {len(browser[f'{view}_view'])} requests, {len(sent)} to the server:")
        for entry in sent:
            print(f"      {entry.get('status', '?')}  {entry['path']}")
    print(
        f"  {'measured (wrk, 10 connections)':32} {'req/s':>7} {'CPU us/req':>10} {'1-core/s':>9}"
        f" {'vs bare':>8} {'wall vs':>8} {'p50 ms':>7} {'p99 ms':>7}"
    )
    for name, label in (
        ("bare", "bare Flask route (baseline)"),
        ("config", "/api/widget/config, first"),
        ("config_304", "/api/widget/config, 304"),
        ("frame", "/widget/frame, first"),
        ("frame_304", "/widget/frame, 304"),
        ("first_view", "first-view requests, mixed"),
        ("repeat_view", "repeat-view requests, mixed"),
    ):
        row = rates[name]
        ratio = f"{row['vs_bare']:.2f}x" if "vs_bare" in row else ""
        wall = f"{row['rps_vs_bare']:.2f}x" if "rps_vs_bare" in row else ""
        print(
            f"  {label:32} {row['rps']:7.0f} {row['cpu_us'] or 0:10.0f} {row['capacity']:9.0f}"
            f" {ratio:>8} {wall:>8} {row['p50_ms'] or 0:7.2f} {row['p99_ms'] or 0:7.2f}"
        )
    print("  (vs bare: server CPU per request against the bare route's, median of the pairs;")
    print("   wall vs: the same pair's wall-clock requests/s, which the shared machine skews)")
    print(
        f"  loader on the wire (gzip): {wire['loader'] / 1024:.1f} KB; frame first load "
        f"(with the Socket.IO client): {wire['frame_first_load'] / 1024:.1f} KB"
    )
    for target, met in result["targets"].items():
        print(f"  [{'met' if met else 'MISSED'}] {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny numbers (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--source", type=Path, help="serve this checkout's support instead")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    result = run(quick=args.quick, source=args.source)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
