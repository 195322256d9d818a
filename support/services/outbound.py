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

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from .. import events
from . import mail, webhooks

log = logging.getLogger(__name__)


def _conversation_created(session, conversation: dict) -> None:
    webhooks.enqueue_event(session, "conversation.created", conversation)


def _message_created(session, message: dict, conversation: dict) -> None:
    webhooks.enqueue_event(session, "message.created", message)
    mail.enqueue_unread_mail(session, message, conversation)


def _conversation_updated(
    session, conversation: dict, previous_assignee_id: str | None, change: str | None = None
) -> None:
    assignee = (conversation.get("assignee") or {}).get("id")
    if assignee is not None and assignee != previous_assignee_id:
        webhooks.enqueue_event(session, "conversation.assigned", conversation)
    if change in ("closed", "rated"):
        webhooks.enqueue_event(session, f"conversation.{change}", conversation)


HANDLERS: dict[str, Callable[..., None]] = {
    "conversation_created": _conversation_created,
    "message_created": _message_created,
    "conversation_updated": _conversation_updated,
}


def add_outbox_rows(session) -> None:
    """Turn the events recorded on ``session`` into outbox rows (before its commit)."""
    for recorded in events.peek_pending(session):
        handler = HANDLERS.get(recorded.name)
        if handler is not None:
            handler(session, **recorded.data)


def init_app(app) -> None:
    if not sa_event.contains(Session, "before_commit", add_outbox_rows):
        sa_event.listen(Session, "before_commit", add_outbox_rows)
