"""Chat latency and throughput through a real ``support serve`` process.

Measures, in one run and on one server:
- the ack time of ``typing`` (no database: the baseline of the socket path itself),
- the ack time of ``message:send`` (validation, seq allocation, commit, emit),
- visitor-to-agent delivery (send until the agent's ``message:new`` arrives),
- throughput with many visitors sending at once.

    .venv/bin/python bench/chat_latency.py [--visitors 20] [--messages 20]
    .venv/bin/python bench/chat_latency.py --database postgresql://127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import Server  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"p50 {statistics.median(ordered):6.2f} ms   p95 {at(0.95):6.2f} ms   "
        f"p99 {at(0.99):6.2f} ms   (n={len(ordered)})"
    )


def timed_acks(client, event: str, payloads) -> list[float]:
    samples = []
    for payload in payloads:
        start = time.perf_counter()
        client.ok(event, payload)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def delivery(server, visitor, agent, count: int) -> list[float]:
    """Send, then wait for the agent's copy: the time a person waits to see a message."""
    samples = []
    for i in range(count):
        body = f"delivery {i} {time.time()}"
        start = time.perf_counter()
        visitor.ok("message:send", {"client_id": f"d{i}", "body": body})
        agent.wait_for("message:new", lambda m, b=body: m["body"] == b)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def throughput(server, visitors: int, messages: int) -> tuple[int, float]:
    clients = [server.visitor() for _ in range(visitors)]
    barrier = threading.Barrier(visitors)

    def run(n, client):
        barrier.wait()
        for i in range(messages):
            client.ok("message:send", {"client_id": f"t{n}-{i}", "body": f"load {n}.{i}"})

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    for client in clients:
        client.close()
    return visitors * messages, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--messages", type=int, default=20, help="per visitor, for throughput")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database", help="an empty database URL (default: temporary SQLite)")
    args = parser.parse_args()
    env = {"SUPPORT_LIMIT_VISITOR_MESSAGES": "0"}
    server = Server.start(
        Path(tempfile.mkdtemp(prefix="support-bench-")), env, database_url=args.database
    )
    try:
        agent, visitor = server.agent("alice"), server.visitor(name="Bench")
        visitor.ok("message:send", {"client_id": "warm-up", "body": "hello"})
        typing = timed_acks(
            visitor, "typing", [{"typing": i % 2 == 0} for i in range(args.samples)]
        )
        sends = timed_acks(
            visitor,
            "message:send",
            [{"client_id": f"s{i}", "body": f"m{i}"} for i in range(args.samples)],
        )
        delivered = delivery(server, visitor, agent, min(args.samples, 100))
        count, elapsed = throughput(server, args.visitors, args.messages)
        print(f"server: {server.url}  database: {args.database or 'SQLite'}")
        print(f"typing ack (baseline)   {percentiles(typing)}")
        print(f"message:send ack        {percentiles(sends)}")
        print(f"visitor -> agent        {percentiles(delivered)}")
        print(
            f"throughput              {count} messages from {args.visitors} visitors in "
            f"{elapsed:.2f} s = {count / elapsed:,.0f} messages/s"
        )
        print(
            f"cost of storing a message over the socket path: "
            f"{statistics.median(sends) - statistics.median(typing):.2f} ms (median)"
        )
        agent.close()
        visitor.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
