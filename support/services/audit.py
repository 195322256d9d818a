"""The audit log: an append-only record of who did what (sign-ins, settings, exports,
deletions), kept so admins can answer "who did this, and when?" after the fact."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Agent, AuditEvent

MAX_TARGET = 200


def record(
    actor: Agent | None,
    action: str,
    target: str | None = None,
    detail: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event and commit it at once, so the record survives whatever follows.

    ``actor`` is None for anonymous acts (a failed sign-in with an unknown email)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.name if actor is not None else None,
        action=action[:50],
        target=target[:MAX_TARGET] if target else None,
        detail=detail,
        ip_address=(ip or None) and ip[:45],
    )
    db.session.add(event)
    db.session.commit()
    return event


def recent(limit: int = 100, *, action: str | None = None) -> list[AuditEvent]:
    """The newest events first, optionally of one action."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
