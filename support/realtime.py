"""The one place where Socket.IO events are emitted.

Services record events on the database session (``support.events``); this module publishes them
after the session commits and forgets them on rollback. Ephemeral events (typing, presence) come
through the same sink at once. Each event kind has one publisher in ``PUBLISHERS``, checked at
start-up; the rooms are named in ``support.rooms``.

An agent hears about conversations that are unassigned, assigned to it, or that it opened.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from . import events
from .extensions import socketio
from .rooms import AGENT_NS, ALL_AGENTS, VISITOR_NS, agent_room, visitor_room, watch_room
from .serializers import public_conversation
from .services import settings
from .services.agent_sockets import agent_sockets

log = logging.getLogger(__name__)


def _agents_for(conversation_id: str, assignee_id: str | None) -> list[str]:
    if assignee_id is None:
        return [ALL_AGENTS]
    return [agent_room(assignee_id), watch_room(conversation_id)]


def agent_audience(conversation: dict, previous_assignee_id: str | None = "same") -> list[str]:
    """The agent rooms that should hear about ``conversation``; with ``previous_assignee_id``,
    also those that saw it before an assignment changed."""
    assignee = (conversation.get("assignee") or {}).get("id")
    rooms = _agents_for(conversation["id"], assignee)
    if previous_assignee_id != "same" and previous_assignee_id != assignee:
        rooms += _agents_for(conversation["id"], previous_assignee_id)
    return list(dict.fromkeys(rooms))


def _to_visitor(name: str, data: dict, conversation: dict) -> None:
    socketio.emit(name, data, namespace=VISITOR_NS, to=visitor_room(conversation["visitor"]["id"]))


def _to_agents(name: str, data: dict, rooms: list[str]) -> None:
    socketio.emit(name, data, namespace=AGENT_NS, to=rooms)


def _conversation_created(event: events.ConversationCreated) -> None:
    conversation = event.conversation
    _to_agents("conversation:new", conversation, agent_audience(conversation))
    _to_visitor("conversation:updated", public_conversation(conversation), conversation)


def _message_created(event: events.MessageCreated) -> None:
    message, conversation = event.message, event.conversation
    _to_agents("message:new", message, agent_audience(conversation))
    if not message["private"]:
        _to_visitor("message:new", message, conversation)


def _conversation_updated(event: events.ConversationUpdated) -> None:
    conversation = event.conversation
    rooms = agent_audience(conversation, event.previous_assignee_id)
    # One emit reaches many agents, and unread counts are per agent (services/inbox.py).
    shared = {key: value for key, value in conversation.items() if key != "unread"}
    _to_agents("conversation:updated", shared, rooms)
    _to_visitor("conversation:updated", public_conversation(conversation), conversation)


def _messages_read(event: events.MessagesRead) -> None:
    conversation = event.conversation
    data = {"conversation_id": conversation["id"], "seq": event.seq, "by": event.by}
    if event.by == "visitor":
        _to_agents("messages:read", data, agent_audience(conversation))
    else:
        _to_visitor("messages:read", data, conversation)


def _activity(event: events.Activity) -> None:
    rooms = agent_audience(event.conversation, event.previous_assignee_id)
    _to_agents("activity", event.activity, rooms)


def _agent_read(event: events.AgentRead) -> None:
    """Tell the agent's own tabs that it read a conversation (its badge clears everywhere)."""
    data = {"conversation_id": event.conversation_id, "seq": event.seq, "unread": event.unread}
    socketio.emit("inbox:read", data, namespace=AGENT_NS, to=agent_room(event.agent_id))


def _typing(event: events.Typing) -> None:
    conversation = event.conversation
    data = {"conversation_id": conversation["id"], "from": event.sender, "typing": event.typing}
    if event.sender == "visitor":
        _to_agents("typing", data, agent_audience(conversation))
    else:
        _to_visitor("typing", data | {"name": event.name}, conversation)
        colleagues = data | {"name": event.name, "agent_id": event.agent_id}
        _to_agents("typing", colleagues, agent_audience(conversation))


def _viewing(event: events.Viewing) -> None:
    conversation = event.conversation
    data = {"conversation_id": conversation["id"], "agent_id": event.agent_id, "name": event.name}
    _to_agents("viewing", data | {"viewing": event.viewing}, agent_audience(conversation))


def _presence(event: events.Presence) -> None:
    data = {"agent_id": event.agent_id, "name": event.name, "status": event.status}
    socketio.emit("presence", data, namespace=AGENT_NS, to=ALL_AGENTS)


def _availability(event: events.Availability) -> None:
    """Presence changed whether any agent is online, or the hours opened or closed: the widget's
    ``online`` is the one rule of ``settings.chat_online`` (PROTOCOL §3)."""
    online = settings.chat_online(event.agents_online, _stored_hours())
    socketio.emit("availability", {"online": online}, namespace=VISITOR_NS)


_serving: dict[str, Flask] = {}


def _stored_hours() -> dict:
    """The stored business hours, read in an app context: presence changes also come from
    background tasks, which run without one."""
    if has_app_context():
        return settings.widget_settings()["hours"]
    app = _serving.get("app")
    if app is None:
        return {}  # no hours: chat follows presence alone
    with app.app_context():
        return settings.widget_settings()["hours"]


def _credentials_withdrawn(event: events.CredentialsWithdrawn) -> None:
    """Close the agent's sockets that were opened with a withdrawn credential, on whichever
    process holds them: with a message queue, ``disconnect`` of a socket held elsewhere is
    published to its process. (Until it closes, each of its events is refused anyway: the
    namespace re-checks the socket's credential on every event.)"""
    for sid in agent_sockets.take_withdrawn(event.agent_id, event.credentials):
        socketio.server.disconnect(sid, namespace=AGENT_NS)


def _queue_position(event: events.QueuePosition) -> None:
    """Automatic routing: the visitor's place in line (0 once an agent has it)."""
    data = {"position": event.position}
    socketio.emit("queue", data, namespace=VISITOR_NS, to=visitor_room(event.visitor_id))


def _settings_changed(event: events.SettingsChanged) -> None:
    socketio.emit("config:updated", event.config, namespace=VISITOR_NS)


PUBLISHERS: dict[type[events.Event], Callable[[Any], None]] = {
    events.ConversationCreated: _conversation_created,
    events.MessageCreated: _message_created,
    events.ConversationUpdated: _conversation_updated,
    events.MessagesRead: _messages_read,
    events.AgentRead: _agent_read,
    events.Activity: _activity,
    events.Typing: _typing,
    events.Viewing: _viewing,
    events.Presence: _presence,
    events.Availability: _availability,
    events.SettingsChanged: _settings_changed,
    events.CredentialsWithdrawn: _credentials_withdrawn,
    events.QueuePosition: _queue_position,
}
"""One publisher per event kind (a repeated key is a lint error, F601)."""


class MissingPublisher(RuntimeError):
    """An event kind that ``realtime`` cannot publish: a programming error, found at start-up."""


def check_publishers() -> None:
    """Every kind in ``events.KINDS`` has a publisher, and every publisher a kind: raised when
    the app is created rather than logged after some commit in production."""
    missing = [kind.__name__ for kind in events.KINDS if kind not in PUBLISHERS]
    stray = [kind.__name__ for kind in PUBLISHERS if kind not in events.KINDS]
    if missing or stray:
        raise MissingPublisher(
            f"event kinds without a publisher: {missing}; publishers without a kind: {stray}"
        )


def describe(event: events.Event) -> str:
    """The event for a log line: its kind and fields, documents shortened to their ids (a
    message's body or a visitor's email has no place in the log)."""
    fields = []
    for field in dataclasses.fields(event):  # type: ignore[arg-type]
        value = getattr(event, field.name)
        if isinstance(value, dict):
            value = {"id": value.get("id")}
        fields.append(f"{field.name}={value!r}")
    return f"{type(event).__name__}({', '.join(fields)})"


def publish(event: events.Event) -> None:
    """Emit one event. A failed emit is logged with the event and the others still go out: the
    change is committed, and clients that missed the hint catch up with ``sync``. An event of
    a kind without a publisher is a programming error and raises."""
    publisher = PUBLISHERS.get(type(event))
    if publisher is None:
        raise MissingPublisher(f"no publisher for {type(event).__name__}")
    try:
        publisher(event)
    except Exception:
        log.exception("could not publish %s", describe(event))


def _after_commit(session: Session) -> None:
    events.publish(events.take_pending(session))


def _after_rollback(session: Session) -> None:
    events.take_pending(session)


def init_app(app: Flask) -> None:
    """Check that every event kind can be published, then publish recorded events after each
    commit and forget them on rollback."""
    check_publishers()
    events.set_sink(publish)
    _serving["app"] = app
    if not sa_event.contains(Session, "after_commit", _after_commit):
        sa_event.listen(Session, "after_commit", _after_commit)
        sa_event.listen(Session, "after_soft_rollback", _after_rollback_soft)


def _after_rollback_soft(session: Session, previous_transaction) -> None:
    _after_rollback(session)
