"""Domain events: what happened, recorded by the services and published by ``realtime``.

Services record an event on the unit of work (the database session); ``realtime`` publishes the
recorded events only after the session commits, and drops them on rollback, so a change that did
not happen is never announced and no caller can forget to announce one that did. Ephemeral facts
with nothing to commit (typing, presence) are announced at once through the same sink.

This module imports nothing of ours, so services can use it without knowing about sockets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_PENDING_KEY = "support_pending_events"


@dataclass(frozen=True)
class Event:
    """A named fact with JSON-ready data."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


_sink: Callable[[Event], None] | None = None


def set_sink(sink: Callable[[Event], None] | None) -> None:
    """Install the publisher (``realtime.publish``); ``create_app`` calls this."""
    global _sink
    _sink = sink


def record(session, name: str, /, **data: Any) -> None:
    """Remember an event until ``session`` commits."""
    session.info.setdefault(_PENDING_KEY, []).append(Event(name, data))


def take_pending(session) -> list[Event]:
    """Remove and return the events recorded on ``session``."""
    return session.info.pop(_PENDING_KEY, [])


def peek_pending(session) -> list[Event]:
    """The events recorded on ``session`` so far, left in place (for work that must join the
    same transaction, such as outbox rows)."""
    return list(session.info.get(_PENDING_KEY, ()))


def announce(name: str, /, **data: Any) -> None:
    """Publish an event that has nothing to commit."""
    if _sink is not None:
        _sink(Event(name, data))


def publish(events: list[Event]) -> None:
    """Hand committed events to the sink, in order."""
    if _sink is None:
        return
    for event in events:
        _sink(event)
