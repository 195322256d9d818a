"""The audit log: an append-only record of who did what (sign-ins, settings, exports,
deletions), kept so admins can answer "who did this, and when?" after the fact.

Every audited operation is a service function that takes the acting agent as ``actor`` and
writes its entry with ``write`` in the same transaction as the change (Zulip's "actions"
shape): the entry and the change commit together or not at all."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Agent, AuditEvent

MAX_TARGET = 200


@dataclass(frozen=True)
class Actor:
    """Who acts, from which address, and through what. ``agent`` is None for anonymous acts (a
    failed sign-in); ``via`` is ``"api"`` for the REST API (kept in the entry's detail) and None
    for the admin pages."""

    agent: Agent | None
    ip: str | None = None
    via: str | None = None


def write(
    actor: Actor | None, action: str, target: str | None = None, detail: dict | None = None
) -> AuditEvent | None:
    """Add one entry to the session, committed with the change it describes by the caller.
    Nothing is written without an actor: the command line, the demo seed and tests act outside
    the audit log."""
    if actor is None:
        return None
    agent = actor.agent
    if actor.via:
        detail = (detail or {}) | {"via": actor.via}
    event = AuditEvent(
        actor_id=agent.id if agent is not None else None,
        actor_name=agent.name if agent is not None else None,
        action=action[:50],
        target=target[:MAX_TARGET] if target else None,
        detail=detail,
        ip_address=(actor.ip or None) and actor.ip[:45],
    )
    db.session.add(event)
    return event


def recent(limit: int = 100, *, action: str | None = None) -> list[AuditEvent]:
    """The newest events first, optionally of one action."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
