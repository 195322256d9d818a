"""The CPU that crossing Redis costs a process, per stored message, without the rest of the server.

Two eventlet processes share a Redis channel, as two ``support serve`` processes do. The sender
makes the two emits of a stored message (``message:new`` to the agents' room and to the
visitor's room, the message's real shape) ``--messages`` times at ``--rate`` a second; nobody is
connected, so all that is measured is the message queue: the sender's publishing and the
receiver's listening, decoding and room lookup. Each process reports its CPU time (user +
system) per message. ``--manager`` picks python-socketio's ``RedisManager`` (``plain``) or
``support.message_queue.QueuedRedisManager`` (``queued``).

    .venv/bin/python bench/pubsub_cost.py --manager plain
    .venv/bin/python bench/pubsub_cost.py --manager queued
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import socketio  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.message_queue import QueuedRedisManager  # noqa: E402

MESSAGE = {
    "id": "0f8e4c1a-6a55-4f5e-9d7e-2b1c3d4e5f60",
    "conversation_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "seq": 12,
    "sender": "visitor",
    "agent": None,
    "body": "Hello, I have a question about my order number 12345.",
    "private": False,
    "client_id": "c-123",
    "attachment": None,
    "created_at": "2026-12-01T18:20:00.123456+00:00",
}


def cpu() -> float:
    times = os.times()
    return times.user + times.system


def server_with(kind: str, url: str, channel: str) -> socketio.Server:
    cls = QueuedRedisManager if kind == "queued" else socketio.RedisManager
    server = socketio.Server(async_mode="eventlet", client_manager=cls(url, channel=channel))
    server.manager_initialized = True
    server.manager.initialize()
    return server


def receive(args) -> None:
    server = server_with(args.manager, args.redis, args.channel)
    seen = {"n": 0}
    handle = server.manager._handle_emit

    def counting(message):
        seen["n"] += 1
        handle(message)

    server.manager._handle_emit = counting
    print("ready", flush=True)
    wanted = 2 * args.messages
    while seen["n"] == 0:
        eventlet.sleep(0.001)
    start = cpu()
    deadline = time.monotonic() + 60
    while seen["n"] < wanted and time.monotonic() < deadline:
        eventlet.sleep(0.01)
    cost = (cpu() - start) * 1000 / args.messages
    print(f"receiver {cost:.3f} ms/message ({seen['n']} of {wanted} emits)", flush=True)
    if seen["n"] != wanted:
        sys.exit(f"the receiver got {seen['n']} of the {wanted} emits")


def send(args) -> None:
    server = server_with(args.manager, args.redis, args.channel)
    eventlet.sleep(0.5)
    start, began = cpu(), time.monotonic()
    for n in range(args.messages):
        due = began + n / args.rate
        eventlet.sleep(max(0.0, due - time.monotonic()))
        data = MESSAGE | {"seq": n}
        server.emit("message:new", data, namespace="/agent", to="agents")
        server.emit("message:new", data, namespace="/visitor", to=f"visitor:{n % 200}")
    flush = getattr(server.manager, "flush", None)
    if flush:
        flush(30)
    eventlet.sleep(0.2)
    print(f"sender   {(cpu() - start) * 1000 / args.messages:.3f} ms/message", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manager", choices=["plain", "queued"], default="queued")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument(
        "--redis", default=os.environ.get("SUPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--channel", default=f"pubsub-cost-{uuid.uuid4().hex[:8]}")
    parser.add_argument("--role", choices=["both", "send", "receive"], default="both")
    args = parser.parse_args()
    if args.role == "send":
        send(args)
    elif args.role == "receive":
        receive(args)
    else:
        common = [sys.executable, __file__, "--manager", args.manager, "--channel", args.channel]
        common += ["--messages", str(args.messages), "--rate", str(args.rate)]
        common += ["--redis", args.redis]
        receiver = subprocess.Popen(
            [*common, "--role", "receive"], stdout=subprocess.PIPE, text=True
        )
        assert receiver.stdout.readline().strip() == "ready"
        subprocess.run([*common, "--role", "send"], check=True)
        print(receiver.stdout.read().strip(), flush=True)
        return receiver.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
