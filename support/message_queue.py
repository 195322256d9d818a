"""The Socket.IO message queue between processes (``SUPPORT_MESSAGE_QUEUE=redis://…``).

python-socketio's ``RedisManager`` delivers each emit to this process's sockets at once and then
publishes it to Redis for the other processes, waiting for Redis's reply inside the emit: one
round trip per emit, in the middle of the event handler that emitted, and one message for every
other process to receive and decode. A stored message is emitted twice (to the agents' rooms and
to the visitor's room), so with two processes about a fifth of each process's busy time went to
Redis (``docs/performance.md``, "Two processes").

``QueuedRedisManager`` changes only how the publishing is done. Emits still reach this process's
sockets at once, exactly as before; what goes to the other processes is put on a local queue,
and one publisher task sends everything queued at that moment as a single Redis message (a
``batch`` of the usual messages, in order, led by the sender's id so that the sender, to which
Redis sends its own messages back, skips them undecoded). The two emits of one stored message
therefore cost one publish, and under load many messages share one. The other processes unpack
a batch and handle each message as python-socketio always has (same rooms, same skip of their
own host).

What stays the same: an ack still means committed (the publish happens after the commit, as
before, and was never part of the ack); every process receives every emit, disconnect and
callback, in the order this process made them (one publisher, first in first out); a Redis
outage is retried and logged as before. What changes: the emitting handler no longer waits for
Redis, and a process stopped gracefully publishes what it still has queued (``flush``) before it
exits. A process killed outright can lose the last few milliseconds of queued emits, as it could
before lose an emit between its commit and its publish: the clients catch up with ``sync``. While
Redis does not answer at all, emits for the other processes wait in this queue (in memory)
instead of every emitting handler waiting for Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import socketio

log = logging.getLogger(__name__)

BATCH = "batch"


class QueuedRedisManager(socketio.RedisManager):
    """``RedisManager`` whose publishes go through one local queue and leave in batches."""

    name = "redis-queued"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._outbox: Any = None  # the queue, made with the publisher on the first publish
        self._starting = threading.Lock()

    def _publish(self, data: dict) -> Any:
        """Queue ``data`` for the publisher (a write-only manager, which has no background
        task, publishes at once as python-socketio does)."""
        if self.write_only:
            return super()._publish(data)
        if self._outbox is None:
            self._start_publisher()
        self._outbox.put(data)
        return None

    def _start_publisher(self) -> None:
        """On the first publish (an HTTP request may emit before any socket connects, so
        ``initialize`` may not have run yet)."""
        with self._starting:
            if self._outbox is None:
                self._empty = self.server.eio.get_queue_empty_exception()
                outbox = self.server.eio.create_queue()
                self.server.start_background_task(self._publisher, outbox)
                self._outbox = outbox

    def _take_batch(self, outbox) -> list[dict]:
        """Block for the next message, then take whatever else is already queued."""
        batch = [outbox.get()]
        while True:
            try:
                batch.append(outbox.get_nowait())
            except self._empty:
                return batch

    def _publisher(self, outbox) -> None:
        """Publish queued messages, one Redis message per batch, forever."""
        while True:
            batch = self._take_batch(outbox)
            # The sender first, so that a process can skip its own batches undecoded (Redis
            # sends every subscriber, the sender too, everything published).
            message = {"host_id": self.host_id, "method": BATCH, "messages": batch}
            try:
                super()._publish(message)  # retries once, logs and gives up on failure
            except Exception:  # the publisher must outlive any one bad message
                log.exception("could not publish %d queued Socket.IO message(s)", len(batch))
            finally:
                for _ in batch:
                    outbox.task_done()

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far is published (a graceful stop calls this
        last); False if ``timeout`` seconds were not enough."""
        deadline = time.monotonic() + timeout
        while self._outbox is not None and self._outbox.unfinished_tasks > 0:
            if time.monotonic() >= deadline:
                return False
            self.server.sleep(0.01)
        return True

    def _handle_emit(self, message: dict) -> None:
        """Deliver an emit to this process's sockets, unless none of them is in its rooms:
        python-socketio would build the packet first and find nobody to send it to, which is
        the usual case here (a visitor's room on the process the visitor is not on)."""
        if self._anyone_here(message.get("namespace") or "/", message.get("room")):
            super()._handle_emit(message)

    def _anyone_here(self, namespace: str, room: Any) -> bool:
        """Whether a socket of this process is in ``room`` (a name, a list of names, or None
        for the whole namespace) of ``namespace``."""
        rooms = self.rooms.get(namespace)
        if not rooms:
            return False
        wanted = room if isinstance(room, (list, tuple)) else [room]
        return any(rooms.get(name) for name in wanted)

    def _listen(self):
        """Every message from the other processes, a batch unpacked into its messages (which
        ``PubSubManager._thread`` then handles one by one, as it always has)."""
        own = self.json.dumps({"host_id": self.host_id})[:-1].encode()  # '{"host_id": "…"'
        for raw in super()._listen():
            if isinstance(raw, bytes) and raw.startswith(own):
                continue  # this process's own batch: nothing in it is for this process
            try:
                data = self.json.loads(raw)
            except Exception:
                log.warning("an undecodable message on the Socket.IO queue was ignored")
                continue
            if isinstance(data, dict) and data.get("method") == BATCH:
                yield from (m for m in data.get("messages") or [] if isinstance(m, dict))
            elif isinstance(data, dict):
                yield data


def client_manager(url: str | None, channel: str) -> QueuedRedisManager | None:
    """The manager for a Redis message queue; None for no queue or another kind of queue
    (Flask-SocketIO then picks python-socketio's own manager, as before)."""
    if url and url.startswith(("redis://", "rediss://")):
        return QueuedRedisManager(url, channel=channel)
    return None
