"""Who is online: an agent is online while one of its connections is open and it has not set
itself away. Changes are announced as events so the dashboards and the widget's availability
follow.

One process keeps this in memory. With a message queue (``SUPPORT_MESSAGE_QUEUE=redis://…``)
several processes serve the same agents, so presence lives in Redis: every process reads the
same answer to "is anyone online?", whichever process the agent's socket reached. Connections
are recorded per process, and each process keeps a heartbeat key with an expiry; when a process
dies without saying goodbye (SIGKILL, a lost machine), its heartbeat expires and the surviving
processes drop its connections and announce the change.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

from .. import events

log = logging.getLogger(__name__)

DEFAULT_PROCESS_TTL = 30.0


@dataclass
class _AgentPresence:
    name: str = ""
    connections: set[str] = field(default_factory=set)
    away: bool = False

    @property
    def status(self) -> str:
        if not self.connections:
            return "offline"
        return "away" if self.away else "online"


class MemoryStore:
    """One process: a dict behind a lock."""

    def __init__(self) -> None:
        self._agents: dict[str, _AgentPresence] = {}
        self._lock = threading.Lock()

    def locked(self):
        return self._lock

    def connection_key(self, connection_id: str) -> str:
        return connection_id

    def owns(self, key: str) -> bool:
        return True

    def load(self, agent_id: str) -> _AgentPresence:
        found = self._agents.get(agent_id)
        if found is None:
            return _AgentPresence()
        return _AgentPresence(found.name, set(found.connections), found.away)

    def save(self, agent_id: str, presence: _AgentPresence) -> None:
        self._agents[agent_id] = presence

    def statuses(self) -> dict[str, tuple[str, str]]:
        return {agent_id: (p.name, p.status) for agent_id, p in list(self._agents.items())}

    def has_connections(self, agent_id: str) -> bool:
        found = self._agents.get(agent_id)
        return bool(found and found.connections)

    def expire_dead_processes(self) -> bool:
        return False

    def clear(self) -> None:
        with self._lock:
            self._agents.clear()


class RedisStore:
    """Several processes: Redis keys under ``support:<channel>:presence``.

    - ``names`` (hash agent → name), ``away`` (set of agent ids), ``status`` (hash agent →
      derived status, what the readers use);
    - ``conns:<agent>`` (set of ``<process>/<sid>``): the agent's open connections;
    - ``procs`` (set of process ids) and ``alive:<process>`` (expires unless its process keeps
      beating): connections of a process without a live key do not count.

    Writers serialise on a Redis lock, so a change and the announcement that follows from it
    are computed once, on whichever process made the change.
    """

    def __init__(self, url: str, prefix: str, ttl: float, on_beat) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._ttl_ms = int(ttl * 1000)
        self.process_id = uuid.uuid4().hex
        self._beating = False
        self._on_beat = on_beat

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    @contextmanager
    def locked(self):
        lock = self._redis.lock(self._key("lock"), timeout=10, sleep=0.01, blocking_timeout=10)
        lock.acquire()
        try:
            yield
        finally:
            try:
                lock.release()
            except Exception:  # expired while we held it; the next writer already took over
                log.warning("presence lock expired before release")

    def connection_key(self, connection_id: str) -> str:
        return f"{self.process_id}/{connection_id}"

    def owns(self, key: str) -> bool:
        return key.startswith(self.process_id + "/")

    def _live(self, members: set[str]) -> set[str]:
        processes = sorted({member.split("/", 1)[0] for member in members})
        if not processes:
            return set()
        # One round trip per process id, usually one or two.
        live = {
            proc
            for proc in processes
            if proc == self.process_id or self._redis.exists(self._key("alive", proc))
        }
        return {member for member in members if member.split("/", 1)[0] in live}

    def load(self, agent_id: str) -> _AgentPresence:
        pipe = self._redis.pipeline()
        pipe.hget(self._key("names"), agent_id)
        pipe.sismember(self._key("away"), agent_id)
        pipe.smembers(self._key("conns", agent_id))
        name, away, members = pipe.execute()
        return _AgentPresence(name or "", self._live(set(members)), bool(away))

    def save(self, agent_id: str, presence: _AgentPresence) -> None:
        conns = self._key("conns", agent_id)
        pipe = self._redis.pipeline()
        pipe.hset(self._key("names"), agent_id, presence.name)
        (pipe.sadd if presence.away else pipe.srem)(self._key("away"), agent_id)
        pipe.delete(conns)
        if presence.connections:
            pipe.sadd(conns, *presence.connections)
        pipe.hset(self._key("status"), agent_id, presence.status)
        ours = any(self.owns(key) for key in presence.connections)
        if ours:
            self._beat(pipe)
        pipe.execute()
        if ours and not self._beating:
            self._start_heartbeat()

    def statuses(self) -> dict[str, tuple[str, str]]:
        pipe = self._redis.pipeline()
        pipe.hgetall(self._key("status"))
        pipe.hgetall(self._key("names"))
        status, names = pipe.execute()
        return {agent_id: (names.get(agent_id, ""), value) for agent_id, value in status.items()}

    def has_connections(self, agent_id: str) -> bool:
        return bool(self.load(agent_id).connections)

    def _beat(self, pipe) -> None:
        pipe.set(self._key("alive", self.process_id), "1", px=self._ttl_ms)
        pipe.sadd(self._key("procs"), self.process_id)

    def _start_heartbeat(self) -> None:
        self._beating = True
        threading.Thread(target=self._heartbeat, name="presence-heartbeat", daemon=True).start()

    def _heartbeat(self) -> None:
        """Keep this process's connections alive, and let ``on_beat`` reap the dead ones."""
        while self._beating:
            try:
                pipe = self._redis.pipeline()
                self._beat(pipe)
                pipe.execute()
                self._on_beat()
            except Exception:
                log.exception("presence heartbeat failed")
            time.sleep(self._ttl_ms / 3000)

    def expire_dead_processes(self) -> bool:
        """Forget processes whose heartbeat expired; True when there were any (their agents'
        statuses must then be recomputed)."""
        dead = [
            proc
            # decode_responses=True: members come back as str, which redis-py's types cannot know.
            for proc in cast(set[str], self._redis.smembers(self._key("procs")))
            if proc != self.process_id and not self._redis.exists(self._key("alive", proc))
        ]
        if dead:
            self._redis.srem(self._key("procs"), *dead)
        return bool(dead)

    def stop(self) -> None:
        """This process is leaving: stop beating and let its key expire at once."""
        self._beating = False
        self._redis.delete(self._key("alive", self.process_id))
        self._redis.srem(self._key("procs"), self.process_id)

    def clear(self) -> None:
        for key in self._redis.scan_iter(match=self._key("*"), count=500):
            self._redis.delete(key)


class PresenceBoard:
    """Connections and away flags per agent, with the announcements that follow changes."""

    def __init__(self) -> None:
        self._store: MemoryStore | RedisStore = MemoryStore()

    def configure(
        self,
        message_queue: str | None,
        channel: str = "flask-socketio",
        ttl: float = DEFAULT_PROCESS_TTL,
    ) -> None:
        """Keep presence in Redis when the message queue is a Redis URL, else in memory."""
        if message_queue and message_queue.startswith(("redis://", "rediss://", "unix://")):
            prefix = f"support:{channel}:presence"
            self._store = RedisStore(message_queue, prefix, ttl, on_beat=self.sweep)
        else:
            self._store = MemoryStore()

    def connect(self, agent_id: str, name: str, connection_id: str) -> None:
        key = self._store.connection_key(connection_id)
        self._change(agent_id, name, lambda p: p.connections.add(key))

    def disconnect(self, agent_id: str, connection_id: str) -> None:
        key = self._store.connection_key(connection_id)
        self._change(agent_id, None, lambda p: p.connections.discard(key))

    def set_status(self, agent_id: str, name: str, status: str) -> None:
        self._change(agent_id, name, lambda p: setattr(p, "away", status == "away"))

    def has_connections(self, agent_id: str) -> bool:
        return self._store.has_connections(agent_id)

    def status_of(self, agent_id: str) -> str:
        return self._store.statuses().get(agent_id, ("", "offline"))[1]

    def anyone_online(self) -> bool:
        return any(status == "online" for _, status in self._store.statuses().values())

    def online_agent_ids(self) -> list[str]:
        return [a for a, (_, status) in self._store.statuses().items() if status == "online"]

    def snapshot(self) -> list[dict]:
        return [
            {"agent_id": agent_id, "name": name, "status": status}
            for agent_id, (name, status) in self._store.statuses().items()
        ]

    def reset(self) -> None:
        self._store.clear()

    def sweep(self) -> None:
        """Drop the connections of processes that died without leaving (their heartbeat
        expired), announcing whoever went offline. Every Redis-backed process runs this."""
        if self._store.expire_dead_processes():
            self._recompute(keep=lambda key: True)

    def release_process(self) -> None:
        """This process is stopping: remove its connections now and announce the changes."""
        self._recompute(keep=lambda key: not self._store.owns(key))
        if isinstance(self._store, RedisStore):
            self._store.stop()

    def _recompute(self, keep) -> None:
        """Re-derive every connected agent's status (loading drops dead processes' connections),
        keeping only the connections ``keep`` accepts."""

        def prune(p: _AgentPresence) -> None:
            p.connections = {key for key in p.connections if keep(key)}

        for agent_id, (_, status) in self._store.statuses().items():
            if status != "offline":
                self._change(agent_id, None, prune)

    def _change(self, agent_id: str, name: str | None, mutate) -> None:
        store = self._store
        with store.locked():
            was_anyone = self.anyone_online()
            presence = store.load(agent_id)
            before = store.statuses().get(agent_id, ("", "offline"))[1]
            if name:
                presence.name = name
            mutate(presence)
            after = presence.status
            store.save(agent_id, presence)
            now_anyone = self.anyone_online()
        if before != after:
            events.announce(events.Presence(agent_id, presence.name, status=after))
        if was_anyone != now_anyone:
            events.announce(events.Availability(agents_online=now_anyone))


presence = PresenceBoard()


def init_app(app) -> None:
    """Pick the store from the app's config (``create_app`` calls this)."""
    presence.configure(
        app.config.get("MESSAGE_QUEUE") or None,
        channel=app.config.get("MESSAGE_QUEUE_CHANNEL") or "flask-socketio",
        ttl=float(app.config.get("PRESENCE_TTL_SECONDS") or DEFAULT_PROCESS_TTL),
    )
