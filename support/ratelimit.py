"""Rate limits shared by HTTP and sockets, on the ``limits`` library (the engine of
Flask-Limiter): in memory for one process, in Redis when a message queue is configured, so every
process counts the same hits."""

from __future__ import annotations

from flask import Flask
from limits import parse, storage, strategies

# Configuration key of each named limit.
LIMITS = {
    "new_visitors": "LIMIT_NEW_VISITORS",
    "visitor_messages": "LIMIT_VISITOR_MESSAGES",
    "visitor_events": "LIMIT_VISITOR_EVENTS",
    "login": "LIMIT_LOGIN",
    "visitor_uploads": "LIMIT_VISITOR_UPLOADS",
    "transcript_mails": "LIMIT_TRANSCRIPT_MAILS",
}


class RateLimiter:
    """Moving-window limits by name and key; a limit of ``0`` means none."""

    def __init__(self) -> None:
        self._strategy: strategies.MovingWindowRateLimiter | None = None
        self._limits: dict = {}

    def init_app(self, app: Flask) -> None:
        """Read the limits from the app's config and pick the storage."""
        self._strategy = strategies.MovingWindowRateLimiter(self._storage(app))
        self._limits = {}
        for name, key in LIMITS.items():
            value = str(app.config.get(key) or "0").strip()
            self._limits[name] = None if value in ("", "0") else parse(value)

    @staticmethod
    def _storage(app: Flask):
        """Redis (the message queue's server) when configured, so that every process counts
        the same hits; its keys are namespaced by the message-queue channel, like presence, so
        several deployments (or test runs) can share one Redis."""
        queue = app.config.get("MESSAGE_QUEUE")
        if not queue:
            return storage.MemoryStorage()
        channel = app.config.get("MESSAGE_QUEUE_CHANNEL") or "flask-socketio"
        return storage.storage_from_string(queue, key_prefix=f"support:{channel}:limits")

    def limits(self, name: str) -> bool:
        """Whether ``name`` has a limit at all (``0`` in the config means none)."""
        return self._limits.get(name) is not None and self._strategy is not None

    def allow(self, name: str, key: str) -> bool:
        """Count one hit of ``name`` for ``key``; False once the limit is spent."""
        limit = self._limits.get(name)
        if limit is None or self._strategy is None:
            return True
        return self._strategy.hit(limit, name, key)

    def spent(self, name: str, key: str) -> bool:
        """True when ``key`` has no hit of ``name`` left (without counting one)."""
        limit = self._limits.get(name)
        if limit is None or self._strategy is None:
            return False
        return not self._strategy.test(limit, name, key)

    def reset(self) -> None:
        """Forget all counts (tests, and operators after an incident)."""
        if self._strategy is not None:
            self._strategy.storage.reset()


limiter = RateLimiter()
