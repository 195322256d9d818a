"""Mail to agents: conversations whose visitor has waited unanswered longer than the admin's
setting (every agent, or the assignee), unless an agent turned these mails off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Agent, Conversation, OutboxItem, Setting, utcnow
from .audit import Actor, write
from .errors import InvalidPayload
from .mail import base_url, opted_out, render_message
from .outbox import enqueue

MAIL_SETTINGS_KEY = "mail"
WAITING_AUDIENCES = ("all", "assignee")


def mail_settings() -> dict:
    """The admin's mail settings: ``notify_waiting_minutes`` (None: no such mails) and
    ``notify_waiting_to`` (``all`` agents, or the ``assignee`` when there is one)."""
    row = db.session.get(Setting, MAIL_SETTINGS_KEY)
    value = row.value if row else {}
    minutes = value.get("notify_waiting_minutes")
    valid = isinstance(minutes, int) and not isinstance(minutes, bool) and minutes > 0
    to = value.get("notify_waiting_to")
    return {
        "notify_waiting_minutes": minutes if valid else None,
        "notify_waiting_to": to if to in WAITING_AUDIENCES else "all",
    }


def save_mail_settings(minutes, to, *, actor: Actor | None = None) -> dict:
    """Validate, store and audit the admin's mail settings."""
    if minutes in (None, ""):
        minutes = None
    else:
        try:
            minutes = int(minutes)
        except (TypeError, ValueError):
            raise InvalidPayload("minutes must be a whole number from 1 to 1440") from None
        if not 1 <= minutes <= 1440:
            raise InvalidPayload("minutes must be a whole number from 1 to 1440")
    if to not in WAITING_AUDIENCES:
        raise InvalidPayload("send to all or assignee")
    row = db.session.get(Setting, MAIL_SETTINGS_KEY)
    if row is None:
        row = Setting(key=MAIL_SETTINGS_KEY, value={})
        db.session.add(row)
    row.value = {"notify_waiting_minutes": minutes, "notify_waiting_to": to}
    write(actor, "mail_settings_changed", None, dict(row.value))
    db.session.commit()
    return mail_settings()


def enqueue_waiting_alerts() -> int:
    """Mail agents about open conversations whose visitor has waited longer than the admin's
    ``notify_waiting_minutes``: the assignee, or every agent while unassigned; once per
    waiting visitor message."""
    minutes = mail_settings()["notify_waiting_minutes"]
    if not minutes:
        return 0
    cutoff = utcnow() - timedelta(minutes=minutes)
    waiting = db.session.scalars(
        select(Conversation).where(
            Conversation.status == "open",
            Conversation.unread_by_agents > 0,
            Conversation.last_message_at <= cutoff,
        )
    ).all()
    queued = 0
    for conversation in waiting:
        topic = f"waiting:{conversation.id}:{conversation.last_seq}"
        if db.session.scalar(select(OutboxItem.id).where(OutboxItem.topic == topic)):
            continue
        payload = {
            "template": "waiting",
            "conversation_id": conversation.id,
            "minutes": minutes,
            "to": mail_settings()["notify_waiting_to"],
        }
        enqueue(
            "mail", payload | {"base_url": base_url()}, conversation_id=conversation.id, topic=topic
        )
        queued += 1
    db.session.commit()
    return queued


def build_waiting(payload: dict):
    conversation = db.session.get(Conversation, payload.get("conversation_id") or "")
    if conversation is None or conversation.status != "open" or not conversation.unread_by_agents:
        return None, {}
    agents: Sequence[Agent]
    if conversation.assignee_id and payload.get("to") == "assignee":
        assignee = conversation.assignee
        agents = [assignee] if assignee is not None and assignee.active else []
    else:
        agents = db.session.scalars(select(Agent).where(Agent.active.is_(True))).all()
    recipients = [a.email for a in agents if not opted_out(f"agent:{a.id}")]
    if not recipients:
        return None, {}
    visitor_name = conversation.visitor.name or "A visitor"
    message = render_message(
        f"{visitor_name} has been waiting {payload['minutes']} minutes",
        recipients,
        "waiting",
        visitor_name=visitor_name,
        minutes=payload["minutes"],
        preview=conversation.preview or "",
        dashboard_url=f"{payload['base_url']}/dashboard/#c={conversation.id}",
    )
    return message, {}
