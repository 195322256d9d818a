"""Idle visitor sockets: server memory per socket and ``/healthz`` latency while they are held.

Opens N ``/visitor`` WebSockets (one per visitor, with the raw client of ``wsclient.py`` so the
load generator stays small), waits for them to settle, and reads the server's RSS from /proc;
then times ``/healthz`` while they are held. The bare Flask-SocketIO relay is measured the same
way in the same run, as the baseline of what the stack itself costs per socket.

    .venv/bin/python bench/idle_sockets.py [--sockets 10000] [--targets bare,sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from relay import BareTarget, SupportTarget, machine  # noqa: E402
from wsclient import SocketIOClient  # noqa: E402

TARGET_KB = 40
HEALTHZ_MS = 100


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def visitor_tokens(server, count: int) -> list[str]:
    """``count`` visitors made in one transaction (10,000 HTTP sign-ups would take a while)."""
    from support import create_app
    from support.extensions import db
    from support.models import Visitor
    from support.services.visitors import issue_token

    app = create_app(
        {
            "DATABASE_URL": server.env["SUPPORT_DATABASE_URL"],
            "SECRET_KEY": server.env["SUPPORT_SECRET_KEY"],
            "ASYNC_MODE": "threading",
        }
    )
    with app.app_context():
        made = [Visitor(name=f"Idle {n}") for n in range(count)]
        db.session.add_all(made)
        db.session.commit()
        return [issue_token(v, app.secret_key) for v in made]


async def hold(port: int, tokens: list[str], pid: int, url: str) -> dict:
    """Connect every token, settle, measure, then close them all."""
    clients: list[SocketIOClient] = []
    before = rss_kb(pid)
    start = time.perf_counter()
    for first in range(0, len(tokens), 100):
        chunk = tokens[first : first + 100]
        batch = [SocketIOClient("/visitor") for _ in chunk]
        await asyncio.gather(
            *(c.connect("127.0.0.1", port, {"token": t}) for c, t in zip(batch, chunk, strict=True))
        )
        clients += batch
    connected_in = time.perf_counter() - start
    await asyncio.sleep(5)
    after = rss_kb(pid)
    healthz = []
    for _ in range(50):
        began = time.perf_counter()
        try:
            await asyncio.to_thread(requests.get, url + "/healthz", timeout=10)
        except requests.RequestException:  # counted as the timeout it waited for
            pass
        healthz.append((time.perf_counter() - began) * 1000)
    alive = sum(not c.closed for c in clients)
    for client in clients:
        client.close()
    ordered = sorted(healthz)
    return {
        "sockets": len(clients),
        "still_connected": alive,
        "connect_seconds": round(connected_in, 1),
        "rss_before_kb": before,
        "rss_after_kb": after,
        "kb_per_socket": round((after - before) / len(clients), 1),
        "healthz_ms": {
            "p50": round(statistics.median(ordered), 1),
            "p99": round(ordered[int(0.99 * (len(ordered) - 1))], 1),
        },
    }


def measure(name: str, count: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"support-idle-{name}-"))
    if name == "bare":
        target = BareTarget(name, workdir, 0)
    else:
        env = {"SUPPORT_ASYNC_MODE": "gevent"} if name == "sqlite-gevent" else {}
        target = SupportTarget(name, workdir, 0, database="sqlite", env=env)
    try:
        endpoint = target.start()
        if name == "bare":
            tokens = [f"idle{n}" for n in range(count)]
        else:
            tokens = visitor_tokens(target.processes[0], count)
        host, port = endpoint.hosts[0]
        url = f"http://{host}:{port}"
        result = asyncio.run(hold(port, tokens, endpoint.pids[0], url))
    finally:
        target.stop()
    print(
        f"{name:8s} {result['sockets']:,} sockets ({result['still_connected']:,} still up): "
        f"{result['kb_per_socket']} KB RSS each ({result['rss_before_kb'] / 1024:.0f} -> "
        f"{result['rss_after_kb'] / 1024:.0f} MB), connected in {result['connect_seconds']} s, "
        f"/healthz p50 {result['healthz_ms']['p50']} ms p99 {result['healthz_ms']['p99']} ms",
        flush=True,
    )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--targets", default="bare,sqlite")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    raise_fd_limit()
    results = {name: measure(name, args.sockets) for name in args.targets.split(",")}
    rows = []
    if "sqlite" in results:
        support = results["sqlite"]
        rows = [
            {
                "target": "RSS per idle visitor socket",
                "value": f"{support['kb_per_socket']} KB",
                "wanted": f"< {TARGET_KB} KB",
                "met": support["kb_per_socket"] < TARGET_KB,
            },
            {
                "target": "/healthz p99 while the sockets are held",
                "value": f"{support['healthz_ms']['p99']} ms",
                "wanted": f"< {HEALTHZ_MS} ms",
                "met": support["healthz_ms"]["p99"] < HEALTHZ_MS,
            },
        ]
        for row in rows:
            mark = "met" if row["met"] else "MISSED"
            print(f"| {row['target']} | {row['value']} | {row['wanted']} | {mark} |")
    if args.json:
        report = {"machine": machine(), "results": results, "targets": rows}
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
