"""Open-loop message relay: Support against a bare Flask-SocketIO relay, in the same run.

N visitors, each in its own conversation, send ``message:send`` at a fixed total rate (open
loop: sends are scheduled by the clock, never wait for acks, and latency is measured from the
scheduled time); one agent receives every ``message:new``. The rate steps from light to past
saturation. Per step: ack and delivery (send → the agent's copy) p50/p95/p99, the achieved rate,
errors. A rate is *sustained* when delivery p99 < 50 ms, at least 90% of it is achieved and
nothing failed; the highest sustained rate is the target's *capacity*.

The server is pinned to CPU 0 and the load generator to CPU 1 (two processes: one per CPU).

    .venv/bin/python bench/relay.py                              # bare, sqlite, postgres, 2proc
    .venv/bin/python bench/relay.py --targets bare,sqlite --rates 100,200 --duration 3
    .venv/bin/python bench/relay.py --json relay.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from wsclient import SocketIOClient  # noqa: E402

from support.config import DEFAULTS  # noqa: E402
from tests import helpers  # noqa: E402

DEFAULT_RATES = [50, 100, 200, 300, 400, 600, 800, 1000, 1300, 1600, 2000, 2500]
SUSTAINED_P99_MS = 50.0
SUSTAINED_SHARE = 0.9
CLIENT_ID = re.compile(r'"client_id": ?"([^"]+)"')
AGENT_MESSAGE = '42/agent,["message:new"'
SERVER_CPU, LOAD_CPU = 0, 1
REFINE_STEPS = 2  # halvings of the gap above the capacity: a 50% step becomes 12.5%


@dataclass
class Step:
    rate: int
    sent: int = 0
    acked: int = 0
    delivered: int = 0
    errors: int = 0
    achieved: float = 0.0
    server_cpu_ms: float | None = None  # the server's CPU time per message sent
    database_cpu_ms: float | None = None  # PostgreSQL's, all its processes (None on SQLite)
    cores_busy: list[float] = field(default_factory=list)  # each core's busy share, 0..1
    ack_ms: dict = field(default_factory=dict)
    delivery_ms: dict = field(default_factory=dict)
    sustained: bool = False


@dataclass
class Endpoint:
    """Where a target listens and how its clients sign in."""

    hosts: list[tuple[str, int]]
    visitor_tokens: list[str]
    agent_token: str
    pids: list[int]
    database: str | None = None  # "sqlite" or "postgres"; None for the bare relay


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": round(statistics.median(ordered), 2), "p95": at(0.95), "p99": at(0.99)}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def database_cpu() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process on this machine (backends, WAL writer,
    checkpointer), by pid: what the messages cost the database, which the server's own figure
    leaves out. Empty without a local PostgreSQL."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split("(", 1)[1].rsplit(")", 1)
        except OSError:  # the process ended meanwhile
            continue
        if name.startswith("postgres"):
            fields = rest.split()
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def database_cpu_spent(before: dict[int, float]) -> float:
    """CPU seconds the PostgreSQL processes used since ``before`` (a backend started meanwhile
    counts in full; one that ended meanwhile is lost, which the kept pool makes rare)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in database_cpu().items())


def core_times() -> list[tuple[int, int]]:
    """(busy, total) jiffies of each core so far, from /proc/stat."""
    cores = []
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            ticks = [int(v) for v in values]
            idle = ticks[3] + ticks[4]  # idle + iowait
            cores.append((sum(ticks) - idle, sum(ticks)))
    return cores


def busy_shares(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[float]:
    """How busy each core was between two ``core_times()``: with the server on core 0 and the
    load generator (and, on this machine, PostgreSQL) on core 1, it tells which one ran out."""
    return [
        round((b1 - b0) / max(1, t1 - t0), 2)
        for (b0, t0), (b1, t1) in zip(before, after, strict=True)
    ]


def pin(pid: int, cpu: int) -> None:
    """Pin every thread of ``pid`` to one CPU (``taskset -a``)."""
    if cpu >= (os.cpu_count() or 1):
        return
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except OSError:
            pass


# --- the load ----------------------------------------------------------------------------------


class Load:
    """The connected clients of one target and the bookkeeping of one step."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self.visitors: list[SocketIOClient] = []
        self.agent: SocketIOClient | None = None
        self.scheduled: dict[str, float] = {}
        self.acked: dict[str, float] = {}
        self.delivered: dict[str, float] = {}
        self.failed = 0

    async def connect(self) -> None:
        host, port = self.endpoint.hosts[0]
        self.agent = SocketIOClient("/agent", self._on_agent_event)
        await self.agent.connect(host, port, {"token": self.endpoint.agent_token})
        for n, token in enumerate(self.endpoint.visitor_tokens):
            host, port = self.endpoint.hosts[n % len(self.endpoint.hosts)]
            client = SocketIOClient("/visitor")
            await client.connect(host, port, {"token": token})
            self.visitors.append(client)

    def close(self) -> None:
        for client in [self.agent, *self.visitors]:
            if client is not None:
                client.close()

    def _on_agent_event(self, text: str) -> None:
        if text.startswith(AGENT_MESSAGE):
            match = CLIENT_ID.search(text)
            if match and match.group(1) not in self.delivered:
                self.delivered[match.group(1)] = time.perf_counter()

    def send(self, visitor: SocketIOClient, client_id: str, at: float) -> None:
        self.scheduled[client_id] = at

        def on_ack(raw: str) -> None:
            self.acked[client_id] = time.perf_counter()
            if '"ok": true' not in raw[:16] and '"ok":true' not in raw[:16]:
                self.failed += 1

        visitor.emit("message:send", {"client_id": client_id, "body": f"m {client_id}"}, on_ack)

    def reset(self) -> None:
        self.scheduled.clear()
        self.acked.clear()
        self.delivered.clear()
        self.failed = 0

    async def run_step(self, rate: int, duration: float, tag: str, drain: float) -> Step:
        """Send ``rate`` messages a second for ``duration`` seconds, round-robin over the
        visitors, on the clock; then wait up to ``drain`` seconds for the stragglers."""
        self.reset()
        cpu_before = cpu_seconds(self.endpoint.pids)
        cores_before = core_times()
        database_before = database_cpu() if self.endpoint.database == "postgres" else None
        total = max(1, round(rate * duration))
        start = time.perf_counter()
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            while sent < due:
                visitor = self.visitors[sent % len(self.visitors)]
                self.send(visitor, f"{tag}-{sent}", start + sent / rate)
                sent += 1
            await asyncio.sleep(0.0005)
        deadline = time.perf_counter() + drain
        while time.perf_counter() < deadline and (
            len(self.acked) < total or len(self.delivered) < total
        ):
            await asyncio.sleep(0.01)
        step = self.summarise(rate, total, start, duration)
        step.cores_busy = busy_shares(cores_before, core_times())
        if database_before is not None:
            step.database_cpu_ms = round(database_cpu_spent(database_before) * 1000 / total, 3)
        step.server_cpu_ms = round((cpu_seconds(self.endpoint.pids) - cpu_before) * 1000 / total, 3)
        return step

    def summarise(self, rate: int, total: int, start: float, duration: float) -> Step:
        acks = [(t - self.scheduled[c]) * 1000 for c, t in self.acked.items()]
        deliveries = [
            (t - self.scheduled[c]) * 1000 for c, t in self.delivered.items() if c in self.scheduled
        ]
        finished = max([*self.delivered.values(), start + duration])
        step = Step(
            rate=rate,
            sent=total,
            acked=len(self.acked),
            delivered=len(deliveries),
            errors=self.failed + (total - len(self.acked)) + (total - len(deliveries)),
            achieved=round(len(deliveries) / (finished - start), 1),
            ack_ms=percentiles(acks),
            delivery_ms=percentiles(deliveries),
        )
        step.sustained = (
            step.errors == 0
            and step.delivery_ms["p99"] is not None
            and step.delivery_ms["p99"] < SUSTAINED_P99_MS
            and step.achieved >= SUSTAINED_SHARE * rate
        )
        return step


async def drive(
    endpoint: Endpoint, rates: list[int], duration: float, log, refine: int = REFINE_STEPS
) -> list[Step]:
    """Warm up (every visitor opens its conversation), then step through ``rates`` until two
    steps in a row are not sustained, then halve the gap between the highest sustained rate and
    the first missed one above it ``refine`` times: the steps are far apart (400, 600, …), and a
    capacity known only to a step would make a ratio of two capacities off by as much."""
    load = Load(endpoint)
    await load.connect()
    try:
        await load.run_step(200, len(load.visitors) / 200, "w", 10)
        steps, misses = [], 0
        for n, rate in enumerate(rates):
            step = await run_rate(load, rate, duration, f"s{n}", log)
            steps.append(step)
            misses = 0 if step.sustained else misses + 1
            if misses >= 2 or step.delivery_ms["p99"] is None or step.achieved < 0.5 * rate:
                break
            await asyncio.sleep(0.5)
        for n in range(refine):
            rate = between(steps)
            if rate is None:
                break
            await asyncio.sleep(0.5)
            steps.append(await run_rate(load, rate, duration, f"b{n}", log))
        return sorted(steps, key=lambda s: s.rate)
    finally:
        load.close()
        await asyncio.sleep(0.2)


async def run_rate(load: Load, rate: int, duration: float, tag: str, log) -> Step:
    """One rate; the machine is shared, so a missed step is run once more and the better of
    the two kept."""
    step = await load.run_step(rate, duration, tag, drain=max(5.0, duration))
    log(format_step(step))
    if not step.sustained and step.achieved >= 0.5 * rate:
        await asyncio.sleep(1)
        again = await load.run_step(rate, duration, f"{tag}r", drain=max(5.0, duration))
        log(format_step(again) + " (repeated)")
        step = max(step, again, key=lambda s: (s.sustained, -(s.delivery_ms["p99"] or 1e9)))
    return step


def between(steps: list[Step]) -> int | None:
    """The rate halfway between the highest sustained step and the first missed one above it
    (rounded to 10/s), or None when they are 10/s apart or there is no such pair."""
    sustained = [s.rate for s in steps if s.sustained]
    if not sustained:
        return None
    low = max(sustained)
    missed = [s.rate for s in steps if not s.sustained and s.rate > low]
    if not missed:
        return None
    high = min(missed)
    middle = round((low + high) / 20) * 10
    return middle if low < middle < high else None


# --- the targets -------------------------------------------------------------------------------


class Target:
    """A server (or two) to measure: started, pinned, measured, stopped."""

    def __init__(self, name: str, workdir: Path, visitors: int):
        self.name, self.workdir, self.visitors = name, workdir, visitors
        self.processes: list = []
        self.cleanup: list = []

    def stop(self) -> None:
        for process in self.processes:
            process.stop(signal.SIGKILL)
        for step in self.cleanup:
            step()


class BareTarget(Target):
    def start(self) -> Endpoint:
        port = helpers.free_port()
        process = subprocess.Popen(
            [sys.executable, str(HERE / "bare_relay.py"), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = helpers.Server(process, f"http://127.0.0.1:{port}", {}, Path(os.devnull))
        server.wait_ready()
        self.processes.append(server)
        pin(process.pid, SERVER_CPU)
        tokens = [f"visitor{n}" for n in range(self.visitors)]
        return Endpoint([("127.0.0.1", port)], tokens, "agent", [process.pid])


class SupportTarget(Target):
    """``support serve`` on SQLite, on PostgreSQL, or as two processes on PostgreSQL + Redis."""

    def __init__(self, name, workdir, visitors, *, database: str, processes: int = 1, env=None):
        super().__init__(name, workdir, visitors)
        self.database, self.count, self.env = database, processes, env or {}

    def _database_url(self) -> str | None:
        if self.database == "sqlite":
            return f"sqlite:///{self.workdir / 'bench.db'}"
        url, drop = helpers.create_postgres_database(helpers.postgres_admin_url(), "support_b_")
        self.cleanup.append(drop)
        return url

    def start(self) -> Endpoint:
        env = {
            "SUPPORT_LIMIT_VISITOR_MESSAGES": "0",
            # The test servers' environment keeps two PostgreSQL connections per server (dozens
            # share one PostgreSQL); measured, a server must keep what it keeps in production,
            # or every event past the second concurrent one opens and closes a connection.
            "SUPPORT_DATABASE_POOL_SIZE": str(DEFAULTS["DATABASE_POOL_SIZE"]),
            **self.env,
        }
        if self.count > 1:
            channel = f"support-bench-{os.getpid()}"
            env |= {
                "SUPPORT_MESSAGE_QUEUE": helpers.redis_test_url(),
                "SUPPORT_MESSAGE_QUEUE_CHANNEL": channel,
            }
            self.cleanup.append(lambda: forget_redis_keys(channel))
        first = helpers.Server.start(self.workdir, env, database_url=self._database_url())
        self.processes.append(first)
        for _ in range(self.count - 1):
            self.processes.append(helpers.Server.launch(first.env, self.workdir))
        for cpu, server in enumerate(self.processes):
            pin(server.process.pid, (SERVER_CPU + cpu) % 2)
        tokens = [first.new_visitor(name=f"Bench {n}")["token"] for n in range(self.visitors)]
        hosts = [("127.0.0.1", int(s.url.rsplit(":", 1)[1])) for s in self.processes]
        return Endpoint(
            hosts,
            tokens,
            first.token("alice"),
            [s.process.pid for s in self.processes],
            self.database,
        )


def forget_redis_keys(channel: str) -> None:
    """Delete what the processes kept in Redis (presence, limits) under their channel."""
    import redis

    client = redis.Redis.from_url(helpers.redis_test_url())
    for key in client.scan_iter(match=f"support:{channel}:*", count=500):
        client.delete(key)


def make_target(name: str, workdir: Path, visitors: int) -> Target:
    gevent = {"SUPPORT_ASYNC_MODE": "gevent"}
    known = {
        "bare": lambda: BareTarget(name, workdir, visitors),
        "sqlite": lambda: SupportTarget(name, workdir, visitors, database="sqlite"),
        "postgres": lambda: SupportTarget(name, workdir, visitors, database="postgres"),
        "postgres-2proc": lambda: SupportTarget(
            name, workdir, visitors, database="postgres", processes=2
        ),
        "sqlite-gevent": lambda: SupportTarget(
            name, workdir, visitors, database="sqlite", env=gevent
        ),
        "postgres-gevent": lambda: SupportTarget(
            name, workdir, visitors, database="postgres", env=gevent
        ),
    }
    return known[name]()


def measure(name: str, args, log) -> dict:
    """Start one target, drive it, stop it; its steps and capacity."""
    workdir = Path(tempfile.mkdtemp(prefix=f"support-relay-{name}-"))
    target = make_target(name, workdir, args.visitors)
    try:
        endpoint = target.start()
        log(f"--- {name}: pids {endpoint.pids}, {args.visitors} visitors")
        steps = asyncio.run(drive(endpoint, args.rates, args.duration, log, args.refine))
    except Exception as error:  # a database or Redis that is not there: say so, go on
        log(f"--- {name}: not measured ({error!r})")
        return {"error": repr(error), "steps": [], "capacity": None}
    finally:
        target.stop()
    sustained = [s.rate for s in steps if s.sustained]
    costs = [s.server_cpu_ms for s in steps if s.rate >= 100 and s.server_cpu_ms]
    return {
        "steps": [asdict(s) for s in steps],
        "capacity": max(sustained, default=0),
        "server_cpu_ms_per_message": round(statistics.median(costs), 3) if costs else None,
    }


def format_step(step: Step) -> str:
    d, a = step.delivery_ms, step.ack_ms
    database = f"database CPU {step.database_cpu_ms} ms/msg  " if step.database_cpu_ms else ""
    return (
        f"  {step.rate:>5}/s  achieved {step.achieved:>7.1f}/s  "
        f"ack p50 {a['p50']} p99 {a['p99']}  delivery p50 {d['p50']} p95 {d['p95']} "
        f"p99 {d['p99']} ms  errors {step.errors}  server CPU {step.server_cpu_ms} ms/msg  "
        f"{database}cores busy {'/'.join(f'{b:.0%}' for b in step.cores_busy)}  "
        f"{'ok' if step.sustained else 'MISSED'}"
    )


# --- targets of issue 9 ------------------------------------------------------------------------


def at_rate(result: dict, rate: int) -> float | None:
    for step in result.get("steps", []):
        if step["rate"] == rate:
            return step["delivery_ms"]["p99"]
    return None


def verdicts(results: dict) -> list[dict]:
    """Each target of issue 9 on the relay, with its figure and whether it is met."""
    bare = (results.get("bare") or {}).get("capacity") or 0
    rows = []

    def add(what, value, wanted, met):
        rows.append({"target": what, "value": value, "wanted": wanted, "met": bool(met)})

    for name, share in (("sqlite", 0.7), ("postgres", 0.5)):
        if name in results and bare:
            capacity = results[name]["capacity"] or 0
            add(
                f"{name} capacity vs bare relay",
                f"{capacity}/s = {capacity / bare:.2f}x of {bare}/s",
                f">= {share}x",
                capacity >= share * bare,
            )
        if name in results:
            p99 = at_rate(results[name], 100)
            add(
                f"{name} delivery p99 at 100/s",
                f"{p99} ms",
                "< 20 ms",
                p99 is not None and p99 < 20,
            )
    if "postgres-2proc" in results and results.get("postgres", {}).get("capacity"):
        one, two = results["postgres"]["capacity"], results["postgres-2proc"]["capacity"] or 0
        add("two processes vs one (PostgreSQL)", f"{two / one:.2f}x", ">= 1.7x", two >= 1.7 * one)
    return rows


def machine() -> dict:
    """Core count and the versions that matter."""
    from importlib.metadata import version

    packages = ["flask", "flask-socketio", "python-socketio", "python-engineio", "eventlet"]
    packages += ["gevent", "sqlalchemy", "psycopg"]
    import sqlite3

    info = {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
    }
    for name in packages:
        try:
            info[name] = version(name)
        except Exception:
            info[name] = None
    try:
        import psycopg

        with psycopg.connect(helpers.postgres_admin_url(), connect_timeout=3) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:
        info["postgresql"] = None
    return info


def print_table(results: dict, rows: list[dict], log) -> None:
    log("\n| target | capacity (msg/s) | delivery p50 / p99 at 100/s | server CPU per message |")
    log("| --- | --- | --- | --- |")
    for name, result in results.items():
        steps = {s["rate"]: s for s in result["steps"]}
        at100 = steps.get(100, {}).get("delivery_ms", {})
        cpu = result.get("server_cpu_ms_per_message")
        log(
            f"| {name} | {result['capacity']} | {at100.get('p50')} / {at100.get('p99')} ms "
            f"| {cpu} ms |"
        )
    log("\n| issue 9 target | measured | wanted | |")
    log("| --- | --- | --- | --- |")
    for row in rows:
        mark = "met" if row["met"] else "MISSED"
        log(f"| {row['target']} | {row['value']} | {row['wanted']} | {mark} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="bare,sqlite,postgres,postgres-2proc")
    parser.add_argument("--rates", default=",".join(map(str, DEFAULT_RATES)))
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per step")
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument(
        "--refine", type=int, default=REFINE_STEPS, help="halvings of the gap above capacity"
    )
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    args.rates = [int(r) for r in args.rates.split(",")]
    pin(os.getpid(), LOAD_CPU)

    def log(line: str) -> None:
        print(line, flush=True)

    results = {name: measure(name, args, log) for name in args.targets.split(",")}
    rows = verdicts(results)
    print_table(results, rows, log)
    report = {"machine": machine(), "settings": vars(args), "results": results, "targets": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
