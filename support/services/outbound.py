"""Recorded domain events become outbox rows before the commit, in the same transaction.

This is the one place that decides what leaves the server because of a change: webhook
deliveries for the §5 event types, and the visitor's "unread reply" mail. It reads the events the
services recorded (``support.events``) from a ``before_commit`` listener, beside realtime's
``after_commit`` one, so no service needs to know about webhooks or mail, and a change that rolls
back takes its outbox rows with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from .. import events
from . import mail, webhooks

log = logging.getLogger(__name__)


def _conversation_created(session: Session, event: events.ConversationCreated) -> None:
    webhooks.enqueue_event(session, "conversation.created", event.conversation)


def _message_created(session: Session, event: events.MessageCreated) -> None:
    webhooks.enqueue_event(session, "message.created", event.message)
    mail.enqueue_unread_mail(session, event.message, event.conversation)


def _conversation_updated(session: Session, event: events.ConversationUpdated) -> None:
    conversation = event.conversation
    assignee = (conversation.get("assignee") or {}).get("id")
    if assignee is not None and assignee != event.previous_assignee_id:
        webhooks.enqueue_event(session, "conversation.assigned", conversation)
    if event.change in ("closed", "rated"):
        webhooks.enqueue_event(session, f"conversation.{event.change}", conversation)


HANDLERS: dict[type[events.Event], Callable[[Session, Any], None]] = {
    events.ConversationCreated: _conversation_created,
    events.MessageCreated: _message_created,
    events.ConversationUpdated: _conversation_updated,
}
"""The event kinds that leave the server; the others stay inside it."""


def add_outbox_rows(session: Session) -> None:
    """Turn the events recorded on ``session`` into outbox rows (before its commit)."""
    for recorded in events.peek_pending(session):
        handler = HANDLERS.get(type(recorded))
        if handler is not None:
            handler(session, recorded)


def init_app(app) -> None:
    if not sa_event.contains(Session, "before_commit", add_outbox_rows):
        sa_event.listen(Session, "before_commit", add_outbox_rows)
