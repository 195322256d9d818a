"""Domain events: what happened, recorded by the services and published by ``realtime``.

Services record an event on the unit of work (the database session); ``realtime`` publishes the
recorded events only after the session commits, and drops them on rollback, so a change that did
not happen is never announced and no caller can forget to announce one that did. Ephemeral facts
with nothing to commit (typing, presence) are announced at once through the same sink.

Each kind of event is one small frozen dataclass below, so a misspelt kind or a missing field is
an error where it is written, not a log line after the commit. ``realtime`` publishes them
through a table keyed by these classes and refuses to start while one of ``KINDS`` has no
publisher; ``services.outbound`` turns some of them into webhooks and mail.

This module imports nothing of ours, so services can use it without knowing about sockets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_PENDING_KEY = "support_pending_events"


class Event:
    """The base of every event kind (a frozen dataclass defined in this module)."""

    __slots__ = ()


# --- recorded: published after the commit that made them true --------------------------------


@dataclass(frozen=True, slots=True)
class ConversationCreated(Event):
    """A visitor's first message opened a conversation (the agents' view of it)."""

    conversation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MessageCreated(Event):
    """A message was stored (``message`` as clients get it) in ``conversation``."""

    message: dict[str, Any]
    conversation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ConversationUpdated(Event):
    """A conversation changed: claimed, transferred, closed, reopened, rated, assigned.
    ``previous_assignee_id`` lets the agents who saw it before an assignment change hear of it
    too; ``change`` names a change webhooks report (``closed``, ``rated``)."""

    conversation: dict[str, Any]
    previous_assignee_id: str | None
    change: str | None = None


@dataclass(frozen=True, slots=True)
class MessagesRead(Event):
    """One side (``by``: ``visitor`` or ``agent``) has read the conversation up to ``seq``."""

    conversation: dict[str, Any]
    seq: int
    by: str


@dataclass(frozen=True, slots=True)
class AgentRead(Event):
    """An agent's own read mark moved; its other tabs update the unread badge."""

    agent_id: str
    conversation_id: str
    seq: int
    unread: int


@dataclass(frozen=True, slots=True)
class Activity(Event):
    """A line of the conversation's activity (claimed, transferred, closed…)."""

    conversation: dict[str, Any]
    activity: dict[str, Any]
    previous_assignee_id: str | None = None


@dataclass(frozen=True, slots=True)
class CredentialsWithdrawn(Event):
    """Sockets opened with one of ``credentials`` (see ``services.credentials``) must close."""

    agent_id: str
    credentials: list[str]


@dataclass(frozen=True, slots=True)
class SettingsChanged(Event):
    """The widget's public config changed; open widgets pick it up without a reload."""

    config: dict[str, Any]


# --- recorded or announced ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueuePosition(Event):
    """Automatic routing: the visitor's place in line (0 once an agent has it)."""

    visitor_id: str
    position: int


# --- announced: nothing to commit ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Typing(Event):
    """Someone (``sender``: ``visitor`` or ``agent``) is typing, or stopped."""

    conversation: dict[str, Any]
    sender: str
    typing: bool
    name: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Viewing(Event):
    """An agent has the conversation on screen, or left it."""

    conversation: dict[str, Any]
    agent_id: str
    name: str
    viewing: bool


@dataclass(frozen=True, slots=True)
class Presence(Event):
    """An agent's status changed (``online``, ``away``, ``offline``)."""

    agent_id: str
    name: str
    status: str


@dataclass(frozen=True, slots=True)
class Availability(Event):
    """Whether any agent is online changed, or business hours opened or closed; the widget's
    ``online`` is this combined with the hours (``settings.chat_online``)."""

    agents_online: bool


KINDS: tuple[type[Event], ...] = tuple(
    kind
    for kind in list(globals().values())
    if isinstance(kind, type) and issubclass(kind, Event) and kind is not Event
)
"""Every event kind defined above; ``realtime`` checks at start-up that each has a publisher.
(Read from this module's names: ``Event.__subclasses__()`` would also list the classes that
``slots=True`` replaced.)"""


_sink: Callable[[Event], None] | None = None


def set_sink(sink: Callable[[Event], None] | None) -> None:
    """Install the publisher (``realtime.publish``); ``create_app`` calls this."""
    global _sink
    _sink = sink


def current_sink() -> Callable[[Event], None] | None:
    """The installed publisher (tests listen in front of it)."""
    return _sink


def _checked(event: Event) -> Event:
    if not isinstance(event, Event):
        raise TypeError(f"not an event: {event!r}")
    return event


def record(session: Any, event: Event, /) -> None:
    """Remember ``event`` until ``session`` commits."""
    session.info.setdefault(_PENDING_KEY, []).append(_checked(event))


def take_pending(session: Any) -> list[Event]:
    """Remove and return the events recorded on ``session``."""
    return session.info.pop(_PENDING_KEY, [])


def peek_pending(session: Any) -> list[Event]:
    """The events recorded on ``session`` so far, left in place (for work that must join the
    same transaction, such as outbox rows)."""
    return list(session.info.get(_PENDING_KEY, ()))


def announce(event: Event, /) -> None:
    """Publish an event that has nothing to commit."""
    _checked(event)
    if _sink is not None:
        _sink(event)


def publish(events: list[Event]) -> None:
    """Hand committed events to the sink, in order."""
    if _sink is None:
        return
    for event in events:
        _sink(event)
