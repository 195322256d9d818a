"""Which credential opened each ``/agent`` socket, known to every process.

When a credential is withdrawn, the process that committed the change asks this registry for
the agent's sockets that used it and closes them with ``server.disconnect(sid, namespace)``;
with a message queue, python-socketio publishes that to the process holding the socket. One
process keeps the registry in memory; with ``SUPPORT_MESSAGE_QUEUE=redis://…`` it is a Redis
hash per agent (``support:<channel>:sockets:<agent id>``: socket id → credential), so a socket
on any process is found. An entry left by a process that died outright names a socket that no
longer exists; closing it does nothing, and the next withdrawal for that agent removes it.
"""

from __future__ import annotations

import threading
from typing import cast

from .credentials import covers


class MemoryRegistry:
    """One process: agent id → {socket id: credential}."""

    def __init__(self) -> None:
        self._sockets: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def add(self, agent_id: str, sid: str, credential: str) -> None:
        with self._lock:
            self._sockets.setdefault(agent_id, {})[sid] = credential

    def remove(self, agent_id: str, sid: str) -> None:
        with self._lock:
            sockets = self._sockets.get(agent_id, {})
            sockets.pop(sid, None)
            if not sockets:
                self._sockets.pop(agent_id, None)

    def sockets_of(self, agent_id: str) -> dict[str, str]:
        with self._lock:
            return dict(self._sockets.get(agent_id, {}))


class RedisRegistry:
    """Several processes: one Redis hash per agent."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix

    def _key(self, agent_id: str) -> str:
        return f"{self._prefix}:{agent_id}"

    def add(self, agent_id: str, sid: str, credential: str) -> None:
        self._redis.hset(self._key(agent_id), sid, credential)

    def remove(self, agent_id: str, sid: str) -> None:
        self._redis.hdel(self._key(agent_id), sid)

    def sockets_of(self, agent_id: str) -> dict[str, str]:
        # decode_responses=True: str keys and values, which redis-py's types cannot know.
        return cast(dict[str, str], self._redis.hgetall(self._key(agent_id)))


class AgentSockets:
    """The registry the ``/agent`` namespace fills and ``realtime`` reads."""

    def __init__(self) -> None:
        self._store: MemoryRegistry | RedisRegistry = MemoryRegistry()

    def configure(self, message_queue: str | None, channel: str = "flask-socketio") -> None:
        """In Redis when the message queue is a Redis URL, else in memory."""
        if message_queue and message_queue.startswith(("redis://", "rediss://", "unix://")):
            self._store = RedisRegistry(message_queue, f"support:{channel}:sockets")
        else:
            self._store = MemoryRegistry()

    def add(self, agent_id: str, sid: str, credential: str) -> None:
        self._store.add(agent_id, sid, credential)

    def remove(self, agent_id: str, sid: str) -> None:
        self._store.remove(agent_id, sid)

    def take_withdrawn(self, agent_id: str, withdrawn: list[str]) -> list[str]:
        """The socket ids of ``agent_id`` opened with a credential in ``withdrawn``, forgotten
        here as they are returned (their sockets are about to close)."""
        sids = [
            sid
            for sid, credential in self._store.sockets_of(agent_id).items()
            if covers(withdrawn, credential)
        ]
        for sid in sids:
            self._store.remove(agent_id, sid)
        return sids


agent_sockets = AgentSockets()


def init_app(app) -> None:
    """Pick the store from the app's config (``create_app`` calls this)."""
    agent_sockets.configure(
        app.config.get("MESSAGE_QUEUE") or None,
        channel=app.config.get("MESSAGE_QUEUE_CHANNEL") or "flask-socketio",
    )
