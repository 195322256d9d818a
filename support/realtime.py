"""The one place where Socket.IO events are emitted.

Services record events on the database session (``support.events``); this module publishes them
after the session commits and forgets them on rollback. Ephemeral events (typing, presence) come
through the same sink at once. Rooms:

- ``/visitor``: ``visitor:<visitor id>``, every socket (tab) of one visitor;
- ``/agent``: ``agents`` (every agent socket), ``agent:<agent id>``, and ``watch:<conversation id>``
  for sockets that opened a conversation.

An agent hears about conversations that are unassigned, assigned to it, or that it opened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from . import events
from .extensions import socketio
from .serializers import public_conversation
from .services import settings
from .services.agent_sockets import agent_sockets

log = logging.getLogger(__name__)

VISITOR_NS = "/visitor"
AGENT_NS = "/agent"
ALL_AGENTS = "agents"


def visitor_room(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


def agent_room(agent_id: str) -> str:
    return f"agent:{agent_id}"


def watch_room(conversation_id: str) -> str:
    return f"watch:{conversation_id}"


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


def _conversation_created(conversation: dict) -> None:
    _to_agents("conversation:new", conversation, agent_audience(conversation))
    _to_visitor("conversation:updated", public_conversation(conversation), conversation)


def _message_created(message: dict, conversation: dict) -> None:
    _to_agents("message:new", message, agent_audience(conversation))
    if not message["private"]:
        _to_visitor("message:new", message, conversation)


def _conversation_updated(
    conversation: dict, previous_assignee_id: str | None, change: str | None = None
) -> None:
    rooms = agent_audience(conversation, previous_assignee_id)
    # One emit reaches many agents, and unread counts are per agent (services/inbox.py).
    shared = {key: value for key, value in conversation.items() if key != "unread"}
    _to_agents("conversation:updated", shared, rooms)
    _to_visitor("conversation:updated", public_conversation(conversation), conversation)


def _messages_read(conversation: dict, seq: int, by: str) -> None:
    data = {"conversation_id": conversation["id"], "seq": seq, "by": by}
    if by == "visitor":
        _to_agents("messages:read", data, agent_audience(conversation))
    else:
        _to_visitor("messages:read", data, conversation)


def _activity(conversation: dict, activity: dict, previous_assignee_id: str | None) -> None:
    _to_agents("activity", activity, agent_audience(conversation, previous_assignee_id))


def _agent_read(agent_id: str, conversation_id: str, seq: int, unread: int) -> None:
    """Tell the agent's own tabs that it read a conversation (its badge clears everywhere)."""
    data = {"conversation_id": conversation_id, "seq": seq, "unread": unread}
    socketio.emit("inbox:read", data, namespace=AGENT_NS, to=agent_room(agent_id))


def _typing(
    conversation: dict, sender: str, name: str | None, typing: bool, agent_id: str | None = None
) -> None:
    data = {"conversation_id": conversation["id"], "from": sender, "typing": typing}
    if sender == "visitor":
        _to_agents("typing", data, agent_audience(conversation))
    else:
        _to_visitor("typing", data | {"name": name}, conversation)
        colleagues = data | {"name": name, "agent_id": agent_id}
        _to_agents("typing", colleagues, agent_audience(conversation))


def _viewing(conversation: dict, agent_id: str, name: str, viewing: bool) -> None:
    data = {"conversation_id": conversation["id"], "agent_id": agent_id, "name": name}
    _to_agents("viewing", data | {"viewing": viewing}, agent_audience(conversation))


def _presence(agent_id: str, name: str, status: str) -> None:
    data = {"agent_id": agent_id, "name": name, "status": status}
    socketio.emit("presence", data, namespace=AGENT_NS, to=ALL_AGENTS)


def _availability(online: bool) -> None:
    """Presence changed whether any agent is online; outside business hours the chat stays
    offline all the same (PROTOCOL §3)."""
    online = online and _within_business_hours()
    socketio.emit("availability", {"online": online}, namespace=VISITOR_NS)


def _credentials_withdrawn(agent_id: str, credentials: list[str]) -> None:
    """Close the agent's sockets that were opened with a withdrawn credential, on whichever
    process holds them: with a message queue, ``disconnect`` of a socket held elsewhere is
    published to its process. (Until it closes, each of its events is refused anyway: the
    namespace re-checks the socket's credential on every event.)"""
    for sid in agent_sockets.take_withdrawn(agent_id, credentials):
        socketio.server.disconnect(sid, namespace=AGENT_NS)


_serving: dict[str, Flask] = {}


def _within_business_hours() -> bool:
    """Read the hours in an app context; presence changes also come from background tasks,
    which run without one."""
    if has_app_context():
        return settings.open_now()
    app = _serving.get("app")
    if app is None:
        return True
    with app.app_context():
        return settings.open_now()


def _queue_position(visitor_id: str, position: int) -> None:
    """Automatic routing: the visitor's place in line (0 once an agent has it)."""
    socketio.emit(
        "queue", {"position": position}, namespace=VISITOR_NS, to=visitor_room(visitor_id)
    )


def _settings_changed(config: dict) -> None:
    socketio.emit("config:updated", config, namespace=VISITOR_NS)


HANDLERS: dict[str, Callable[..., None]] = {
    "conversation_created": _conversation_created,
    "message_created": _message_created,
    "conversation_updated": _conversation_updated,
    "messages_read": _messages_read,
    "agent_read": _agent_read,
    "activity": _activity,
    "typing": _typing,
    "viewing": _viewing,
    "presence": _presence,
    "availability": _availability,
    "settings_changed": _settings_changed,
    "credentials_withdrawn": _credentials_withdrawn,
    "queue_position": _queue_position,
}


def publish(event: events.Event) -> None:
    """Emit one event. A failed emit is logged: the change is committed, and clients that
    missed the hint catch up with ``sync``."""
    try:
        HANDLERS[event.name](**event.data)
    except Exception:
        log.exception("could not publish %s", event.name)


def _after_commit(session: Session) -> None:
    events.publish(events.take_pending(session))


def _after_rollback(session: Session) -> None:
    events.take_pending(session)


def init_app(app: Flask) -> None:
    """Publish recorded events after each commit; forget them on rollback."""
    events.set_sink(publish)
    _serving["app"] = app
    if not sa_event.contains(Session, "after_commit", _after_commit):
        sa_event.listen(Session, "after_commit", _after_commit)
        sa_event.listen(Session, "after_soft_rollback", _after_rollback_soft)


def _after_rollback_soft(session: Session, previous_transaction) -> None:
    _after_rollback(session)
