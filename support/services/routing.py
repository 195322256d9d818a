"""Automatic routing: under ``mode: auto`` each waiting conversation goes to the online (not
away) agent with the fewest open conversations, ties to whoever was assigned least recently
(round-robin), never past that agent's capacity. When everyone is full, conversations wait in
creation order and their visitors hear their place in line (``queue``), 0 once assigned.

Safe across processes: an assignment locks the agent's row (``FOR UPDATE`` on PostgreSQL;
SQLite has one writer at a time) and is one conditional update that matches only while the
conversation is unassigned and the agent is under capacity, so the database, not a read made
earlier, decides. Passes run after a new conversation, a close, an agent coming online, and
every few seconds in every server process (``run_forever``), which also returns the open
conversations of agents away longer than the admin allows.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import func, select, update

from .. import events
from ..extensions import db, execute_dml
from ..models import Agent, Conversation, utcnow
from .activity import record_activity, record_update
from .audit import Actor
from .errors import InvalidPayload
from .presence import presence
from .settings import routing_settings, update_routing

log = logging.getLogger(__name__)

BATCH = 100


class _Memory:
    """What this process last told waiting visitors, and since when agents are away."""

    def __init__(self) -> None:
        self.positions: dict[str, tuple[str, int]] = {}  # conversation -> (visitor, position)
        self.away_since: dict[str, float] = {}

    def reset(self) -> None:
        self.positions.clear()
        self.away_since.clear()


memory = _Memory()


def is_auto() -> bool:
    return routing_settings()["mode"] == "auto"


def _open_count(agent_id):
    return (
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.assignee_id == agent_id, Conversation.status == "open")
        .scalar_subquery()
    )


def ranked_agents(default_capacity: int) -> list[tuple[str, int]]:
    """Online, active agents with room, best first: ``(agent id, capacity)``."""
    online = presence.online_agent_ids()
    if not online:
        return []
    open_ = _open_count(Agent.id).label("open")
    last = (
        select(func.max(Conversation.assigned_at))
        .where(Conversation.assignee_id == Agent.id)
        .scalar_subquery()
        .label("last")
    )
    rows = db.session.execute(
        select(Agent.id, Agent.capacity, open_, last).where(
            Agent.id.in_(online), Agent.active.is_(True)
        )
    ).all()
    free = [
        (row.open, row.last or datetime.min, row.id, row.capacity or default_capacity)
        for row in rows
        if row.open < (row.capacity or default_capacity)
    ]
    return [(agent_id, cap) for _, _, agent_id, cap in sorted(free)]


def try_assign(conversation_id: str, agent_id: str, capacity: int) -> bool:
    """Give the conversation to the agent if it is still waiting and the agent still has room;
    commits either way. True when it was assigned."""
    db.session.execute(select(Agent.id).where(Agent.id == agent_id).with_for_update())
    won = execute_dml(
        update(Conversation)
        .where(
            Conversation.id == conversation_id,
            Conversation.assignee_id.is_(None),
            Conversation.status == "open",
            _open_count(agent_id) < capacity,
        )
        .values(assignee_id=agent_id, assigned_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        db.session.rollback()
        return False
    conversation = db.session.get_one(Conversation, conversation_id)  # this transaction updated it
    db.session.refresh(conversation)
    record_update(conversation, previous_assignee_id=None)
    record_activity(conversation, None, "assigned", target=db.session.get(Agent, agent_id))
    events.record(db.session, events.QueuePosition(conversation.visitor_id, position=0))
    memory.positions.pop(conversation_id, None)
    db.session.commit()
    return True


def waiting() -> list[tuple[str, str]]:
    """Open, unassigned conversations in line: ``(conversation id, visitor id)``, oldest first."""
    rows = db.session.execute(
        select(Conversation.id, Conversation.visitor_id)
        .where(Conversation.status == "open", Conversation.assignee_id.is_(None))
        .order_by(Conversation.created_at, Conversation.id)
    ).all()
    return [(row.id, row.visitor_id) for row in rows]


def _assign_one(conversation_id: str, capacity: int) -> bool | None:
    """Try the best agents in turn: True when assigned, None when nobody has room."""
    candidates = ranked_agents(capacity)
    if not candidates:
        return None
    for agent_id, agent_capacity in candidates:
        if try_assign(conversation_id, agent_id, agent_capacity):
            return True
    return False


def route_waiting() -> int:
    """One routing pass: assign what can be assigned, then tell the rest their place in line.
    Does nothing under manual routing. Returns how many were assigned."""
    settings = routing_settings()
    if settings["mode"] != "auto":
        db.session.rollback()
        return 0
    assigned = 0
    for conversation_id, _ in waiting()[:BATCH]:
        outcome = _assign_one(conversation_id, settings["capacity"])
        if outcome is None:
            break
        assigned += bool(outcome)
    announce_positions()
    db.session.rollback()  # end the read transaction
    return assigned


def announce_positions() -> None:
    """Send each waiting visitor its place in line when it changed (as this process knows)."""
    line = waiting()
    current = {cid: (vid, n) for n, (cid, vid) in enumerate(line, start=1)}
    for conversation_id, (visitor_id, position) in current.items():
        if memory.positions.get(conversation_id) != (visitor_id, position):
            events.announce(events.QueuePosition(visitor_id, position))
    for conversation_id, (visitor_id, _) in memory.positions.items():
        if conversation_id not in current:
            events.announce(events.QueuePosition(visitor_id, position=0))
    memory.positions = current


def queue_position(conversation: Conversation) -> int:
    """The conversation's place in line (0 when assigned, closed or routing is manual)."""
    if conversation.assignee_id or conversation.status != "open" or not is_auto():
        return 0
    ahead = db.session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.status == "open",
            Conversation.assignee_id.is_(None),
            Conversation.created_at < conversation.created_at,
        )
    )
    return (ahead or 0) + 1


def route_safely() -> None:
    """A routing pass that never breaks the caller (a socket handler): failures are logged."""
    try:
        route_waiting()
    except Exception:
        db.session.rollback()
        log.exception("routing pass failed")


def check_capacity(capacity) -> None:
    """An agent's own capacity is an integer from 1 to 1000, or None to follow the setting."""
    if capacity is not None and (
        not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 1000
    ):
        raise InvalidPayload("capacity must be null or an integer from 1 to 1000")


def save_settings(changes, *, actor: Actor | None = None) -> dict:
    """Store the routing settings (``settings.update_routing``: checked and audited), then
    route what waits: switching to auto or raising the capacity may assign at once."""
    saved = update_routing(changes, actor=actor)
    route_safely()
    return saved


def agent_routing(agent: Agent) -> dict:
    """An agent's capacity (its own or the setting's) and how many open conversations it has."""
    default = routing_settings()["capacity"]
    return {
        "capacity": agent.capacity,
        "effective_capacity": agent.capacity or default,
        "open": db.session.scalar(select(_open_count(agent.id))) or 0,
    }


def route_new_conversation(conversation_id: str) -> Conversation | None:
    """After a visitor's first message opened a conversation: route, and return the
    conversation as it now stands (assigned, or still waiting; None if deleted meanwhile)."""
    route_safely()
    return db.session.get(Conversation, conversation_id)


def requeue_away_agents(minutes: int | None, now: float | None = None) -> int:
    """Return the open conversations of agents who have not been online for ``minutes`` to the
    queue. Away time is measured by this process from the first pass that saw the agent away."""
    if minutes is None:
        memory.away_since.clear()
        return 0
    now = time.monotonic() if now is None else now
    online = set(presence.online_agent_ids())
    holders = set(
        db.session.scalars(
            select(Conversation.assignee_id)
            .where(Conversation.status == "open", Conversation.assignee_id.is_not(None))
            .distinct()
        )
    )
    memory.away_since = {
        a: memory.away_since.get(a, now) for a in holders if a is not None and a not in online
    }
    due = [a for a, since in memory.away_since.items() if now - since >= minutes * 60]
    return sum(_unassign_all(agent_id) for agent_id in due)


def _unassign_all(agent_id: str) -> int:
    """Put an agent's open conversations back in line; commits."""
    conversations = list(
        db.session.scalars(
            select(Conversation).where(
                Conversation.assignee_id == agent_id, Conversation.status == "open"
            )
        )
    )
    for conversation in conversations:
        conversation.assignee_id = None
        conversation.updated_at = utcnow()
        db.session.flush()
        db.session.refresh(conversation)
        record_update(conversation, previous_assignee_id=agent_id)
    db.session.commit()
    memory.away_since.pop(agent_id, None)
    if conversations:
        log.info("routing: returned %d conversations of an away agent", len(conversations))
    return len(conversations)


def sweep() -> None:
    """What every process does every few seconds under automatic routing."""
    settings = routing_settings()
    if settings["mode"] == "auto":
        requeue_away_agents(settings["requeue_after_minutes"])
        route_waiting()
    elif memory.positions:
        for visitor_id, _ in memory.positions.values():  # back to manual: nobody waits in line
            events.announce(events.QueuePosition(visitor_id, position=0))
        memory.reset()
    db.session.rollback()


def run_forever(app, sleep, interval: float) -> None:
    """Sweep every ``interval`` seconds until the process ends (``sleep`` is the server's)."""
    while True:
        with app.app_context():
            try:
                sweep()
            except Exception:
                log.exception("routing sweep failed")
            finally:
                db.session.remove()
        sleep(interval)
