"""Where the CPU of a relayed message goes, per process, at one fixed rate.

``bench/relay.py`` finds capacity; on a shared 2-core machine its wall-clock figures swing with
whatever else runs. This script holds one modest open-loop rate (the same load: visitors spread
over the processes, one agent on the first) for a while and reports the CPU time per message of
each server process and of Redis, from ``/proc``; with
``--profile`` it also records each server process with py-spy (collapsed stacks, one file per
process, for speedscope or ``flamegraph.pl``; py-spy counts a process waiting in ``epoll`` as
busy, so leave out the stacks ending in ``Hub.do_poll`` before taking shares).

    .venv/bin/python bench/relay_cpu.py --targets postgres,postgres-2proc --rate 100 --duration 20
    .venv/bin/python bench/relay_cpu.py --targets postgres-2proc --profile /tmp/prof
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import relay  # noqa: E402


def pids_named(name: str) -> list[int]:
    """Processes whose command name is ``name`` (Redis, PostgreSQL's backends)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            if comm.startswith(name):
                found.append(int(entry))
    return found


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += relay.cpu_seconds([pid])
        except (OSError, IndexError):
            pass
    return total


def run_target(name: str, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"support-cpu-{name}-"))
    target = relay.make_target(name, workdir, args.visitors)
    try:
        endpoint = target.start()
        return asyncio.run(measure(name, endpoint, args))
    finally:
        target.stop()


async def measure(name: str, endpoint: relay.Endpoint, args) -> dict:
    load = relay.Load(endpoint)
    await load.connect()
    try:
        await load.run_step(200, len(load.visitors) / 200, "w", 10)
        await load.run_step(args.rate, 3, "w2", 5)  # warm prepared statements and pools
        # PostgreSQL's backends are shared with whatever else runs on the machine: not counted.
        others = {"redis": pids_named("redis-server")}
        before = {pid: cpu_of([pid]) for pid in endpoint.pids}
        before_others = {k: cpu_of(v) for k, v in others.items()}
        spies = []
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            for n, pid in enumerate(endpoint.pids):
                out = Path(args.profile) / f"{name}-p{n}.txt"
                spies.append(
                    subprocess.Popen(
                        [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid)]
                        + ["--duration", str(int(args.duration)), "--rate", "200"]
                        + ["--format", "raw", "--nonblocking", "-o", str(out)],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
        step = await load.run_step(args.rate, args.duration, "m", 10)
        for spy in spies:
            spy.wait()
        per = {
            f"server {n}": round((cpu_of([pid]) - before[pid]) * 1000 / step.sent, 3)
            for n, pid in enumerate(endpoint.pids)
        }
        for key, pids in others.items():
            per[key] = round((cpu_of(pids) - before_others[key]) * 1000 / step.sent, 3)
        servers = sum(v for k, v in per.items() if k.startswith("server"))
        result = {
            "target": name,
            "rate": args.rate,
            "achieved": step.achieved,
            "errors": step.errors,
            "delivery_ms": step.delivery_ms,
            "cpu_ms_per_message": per,
            "servers_ms_per_message": round(servers, 3),
        }
        print(result, flush=True)
        return result
    finally:
        load.close()
        await asyncio.sleep(0.2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="postgres,postgres-2proc")
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--profile", help="a directory for py-spy's collapsed stacks")
    args = parser.parse_args(argv)
    relay.pin(os.getpid(), relay.LOAD_CPU)
    for name in args.targets.split(","):
        run_target(name, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
