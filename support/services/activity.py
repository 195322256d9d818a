"""Activity lines: claims, transfers, closes and reopens kept in a conversation's history for
agents (the dashboard shows them inline, transcripts list them). PROTOCOL §2 says the server adds
no messages, so these are not messages: they take no seq and never reach the visitor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import events
from ..extensions import db
from ..models import Agent, Conversation, ConversationActivity, utcnow
from ..serializers import conversation_dict, iso

PHRASES = {
    "claimed": "{actor} claimed the conversation",
    "assigned": "The conversation was assigned to {target}",
    "transferred": "{actor} transferred the conversation to {target}",
    "closed": "{actor} closed the conversation",
    "reopened": "{actor} reopened the conversation",
}


def record_update(
    conversation: Conversation, *, previous_assignee_id: str | None, change: str | None = None
) -> None:
    """Record a changed conversation (claims, transfers, closes, automatic assignment…):
    ``previous_assignee_id`` lets realtime tell the agents who saw it before the change as well
    as those who see it now; ``change`` (closed, rated) names what happened, for webhooks."""
    events.record(
        db.session,
        events.ConversationUpdated(
            conversation=conversation_dict(conversation, for_agents=True),
            previous_assignee_id=previous_assignee_id,
            change=change,
        ),
    )


def record_activity(
    conversation: Conversation,
    actor: Agent | None,
    kind: str,
    *,
    target: Agent | None = None,
    note: str | None = None,
    previous_assignee_id: str | None = None,
) -> None:
    """Add one line in the caller's transaction; the agents on the conversation (and, after a
    transfer, whoever held it before) hear of it once that commits."""
    row = ConversationActivity(
        conversation_id=conversation.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else None,
        target_id=target.id if target else None,
        target_name=target.name if target else None,
        note=note or None,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    events.record(
        db.session,
        events.Activity(
            conversation=conversation_dict(conversation, for_agents=True),
            activity=activity_dict(row),
            previous_assignee_id=previous_assignee_id,
        ),
    )


def activity_dict(row: ConversationActivity) -> dict:
    """An activity line as agents get it."""
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "kind": row.kind,
        "actor": {"id": row.actor_id, "name": row.actor_name} if row.actor_id else None,
        "target": {"id": row.target_id, "name": row.target_name} if row.target_id else None,
        "note": row.note,
        "text": describe(row),
        "created_at": iso(row.created_at),
    }


def describe(row: ConversationActivity) -> str:
    """One readable sentence ("Ada claimed the conversation"), with the transfer's note."""
    phrase = PHRASES.get(row.kind, "{actor}: " + row.kind)
    text = phrase.format(actor=row.actor_name or "Someone", target=row.target_name or "an agent")
    return f"{text}: “{row.note}”" if row.note else text


def activity_of(conversation_id: str) -> list[ConversationActivity]:
    """A conversation's activity lines, oldest first."""
    return list(
        db.session.scalars(
            select(ConversationActivity)
            .where(ConversationActivity.conversation_id == conversation_id)
            .order_by(ConversationActivity.id)
        )
    )


def timeline(messages: list, activity: list[ConversationActivity]) -> list[tuple[str, Any]]:
    """Messages and activity lines merged in time order: ``("message", m)`` and
    ``("activity", a)``. Messages keep their seq order; a line goes before the first message
    stored after it."""
    merged: list[tuple[str, Any]] = []
    lines = list(activity)
    for message in messages:
        while lines and lines[0].created_at <= message.created_at:
            merged.append(("activity", lines.pop(0)))
        merged.append(("message", message))
    merged.extend(("activity", line) for line in lines)
    return merged
