"""The outbox: mails and webhook deliveries leave through one table.

A row is written in the transaction that caused it (``enqueue``), so it commits, or rolls back,
with that change. A loop in every server process (``run_forever``) claims the rows that are due,
sends them and records the outcome; a failure is retried with growing delays for more than a day.

Claiming pushes a row's ``next_attempt_at`` one lease ahead and commits *before* anything is
sent, so no transaction stays open across network I/O (under eventlet an open SQLite
transaction would stall every connection). A process killed mid-send leaves the row pending:
once the lease runs out another round sends it again, with the same id. Receivers therefore get
at-least-once delivery and drop repeats by that id. On PostgreSQL several processes claim with
``FOR UPDATE SKIP LOCKED``, so each row goes to one of them at a time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, delete, select

from ..extensions import db, execute_dml
from ..models import OutboxItem, by_id, new_id, utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 20
MAX_RETRY_DELAY = timedelta(hours=6)


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of a claimed row, detached from the session."""

    id: str
    kind: str
    payload: dict
    attempts: int
    webhook_id: str | None
    topic: str | None


@dataclass
class Outcome:
    """How one attempt went. ``permanent`` failures are not retried (a refused address);
    ``skipped`` means there was nothing left to send (the visitor read the message)."""

    ok: bool = False
    response_code: int | None = None
    error: str | None = None
    permanent: bool = False
    skipped: bool = False
    payload_update: dict = field(default_factory=dict)


def enqueue(
    kind: str,
    payload: dict,
    *,
    session=None,
    webhook_id: str | None = None,
    conversation_id: str | None = None,
    topic: str | None = None,
    due_at: datetime | None = None,
) -> OutboxItem:
    """Add a row to ``session`` (the caller's transaction); it is sent once that commits."""
    now = utcnow()
    item = OutboxItem(
        id=new_id(),
        kind=kind,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=due_at or now,
        webhook_id=webhook_id,
        conversation_id=conversation_id,
        topic=topic,
        created_at=now,
    )
    (session or db.session).add(item)
    return item


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: the first retry comes within a minute
    (``SUPPORT_OUTBOX_FIRST_RETRY_SECONDS``, 15 by default), each next wait three times longer,
    at most six hours."""
    first = float(current_app.config["OUTBOX_FIRST_RETRY_SECONDS"])
    return min(timedelta(seconds=first * 3 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def _lease() -> timedelta:
    """How long a claimed row is left alone (``SUPPORT_OUTBOX_LEASE_SECONDS``, 60): longer than
    any one send can take (a webhook's 10 s, an SMTP server's 30 s)."""
    return timedelta(seconds=float(current_app.config["OUTBOX_LEASE_SECONDS"]))


def claim_due(limit: int = BATCH_SIZE) -> list[Claimed]:
    """Take the rows that are due, push them one lease ahead, and commit."""
    now = utcnow()
    query = (
        select(OutboxItem)
        .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
        .order_by(OutboxItem.next_attempt_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for item in db.session.scalars(query):
        item.attempts += 1
        item.last_attempt_at = now
        item.next_attempt_at = now + _lease()
        claimed.append(
            Claimed(
                item.id, item.kind, dict(item.payload), item.attempts, item.webhook_id, item.topic
            )
        )
    db.session.commit()
    return claimed


def record(claimed: Claimed, outcome: Outcome) -> OutboxItem | None:
    """Store how an attempt went: sent, skipped, failed for good, or due again later."""
    item = db.session.get(OutboxItem, claimed.id)
    if item is None:  # deleted meanwhile (its webhook went)
        db.session.rollback()
        return None
    now = utcnow()
    item.response_code = outcome.response_code
    item.last_error = (outcome.error or "")[:500] or None
    if outcome.payload_update:
        item.payload = dict(item.payload) | outcome.payload_update
    if outcome.ok or outcome.skipped:
        item.status = "sent" if outcome.ok else "skipped"
        item.sent_at = now if outcome.ok else None
    elif outcome.permanent or _gave_up(item, now):
        item.status = "failed"
    else:
        item.next_attempt_at = now + retry_delay(item.attempts)
    return item


def _gave_up(item: OutboxItem, now: datetime) -> bool:
    window = timedelta(seconds=float(current_app.config["OUTBOX_GIVE_UP_SECONDS"]))
    return now - item.created_at > window


def _senders() -> dict:
    from . import mail, webhooks

    return {"mail": mail.deliver, "webhook": webhooks.deliver}


def _after_attempt_hooks() -> dict:
    from . import webhooks

    return {"webhook": webhooks.after_attempt}


def send_one(claimed: Claimed) -> Outcome:
    """Send one claimed row; a sender that raises counts as a failed attempt, retried later."""
    sender = _senders().get(claimed.kind)
    try:
        if sender is None:
            return Outcome(error=f"unknown kind {claimed.kind}", permanent=True)
        return sender(claimed)
    except Exception as error:
        log.exception("outbox: sending %s %s failed", claimed.kind, claimed.id)
        return Outcome(error=f"{type(error).__name__}: {error}")
    finally:
        db.session.rollback()  # whatever the sender read, no transaction outlives the send


def run_once(limit: int = BATCH_SIZE) -> int:
    """Claim, send and record one batch of due rows; how many were attempted."""
    claimed = claim_due(limit)
    for row in claimed:
        outcome = send_one(row)
        item = record(row, outcome)
        hook = _after_attempt_hooks().get(row.kind)
        if item is not None and hook is not None:
            hook(item, outcome)
        db.session.commit()
        log.info(
            "outbox: %s %s attempt %d: %s",
            row.kind,
            row.id,
            row.attempts,
            "sent" if outcome.ok else ("skipped" if outcome.skipped else outcome.error),
        )
    return len(claimed)


def run_forever(app, sleep) -> None:
    """The sending loop of one server process: a round whenever rows are due, else a short
    sleep (``SUPPORT_OUTBOX_POLL_SECONDS``). ``sleep`` is the server's own, so this cooperates
    with eventlet. A failed round is logged and the next one tries again."""
    interval = float(app.config["OUTBOX_POLL_SECONDS"])
    while True:
        attempted = 0
        with app.app_context():
            try:
                attempted = run_once()
                _periodic_checks()
            except Exception:
                log.exception("outbox round failed")
                db.session.rollback()
            finally:
                db.session.remove()
        if attempted < BATCH_SIZE:
            sleep(interval)


_last_periodic_check = 0.0
PERIODIC_CHECK_SECONDS = 30
KEEP_FINISHED = timedelta(days=30)


def _periodic_checks() -> None:
    """Work that is due by the clock rather than by a change, every half minute: agents'
    'still waiting' mails, and forgetting finished rows after 30 days (they hold addresses and
    message text, and every message may add some)."""
    global _last_periodic_check
    if time.monotonic() - _last_periodic_check < PERIODIC_CHECK_SECONDS:
        return
    _last_periodic_check = time.monotonic()
    from . import agent_mail

    agent_mail.enqueue_waiting_alerts()
    prune()


def forget_conversations(conversation_ids: list[str] | Select[str]) -> None:
    """Drop the rows about conversations being deleted (in the caller's transaction): their
    mails and deliveries carry addresses and message text."""
    db.session.execute(delete(OutboxItem).where(OutboxItem.conversation_id.in_(conversation_ids)))


def prune(keep: timedelta = KEEP_FINISHED) -> int:
    """Delete sent, skipped and failed rows older than ``keep``; how many."""
    gone = execute_dml(
        delete(OutboxItem).where(
            OutboxItem.status != "pending", OutboxItem.created_at < utcnow() - keep
        )
    ).rowcount
    db.session.commit()
    return gone


def recent(*, webhook_id: str | None = None, limit: int = 50) -> list[OutboxItem]:
    """The newest rows first, optionally of one webhook."""
    query = select(OutboxItem)
    if webhook_id is not None:
        query = query.where(OutboxItem.webhook_id == webhook_id)
    return list(db.session.scalars(query.order_by(OutboxItem.created_at.desc()).limit(limit)))


def send_again(item_id, *, webhook_id: str | None = None) -> OutboxItem | None:
    """Make a row (of ``webhook_id``, when given) due now, whatever its state; it keeps its id
    (the receiver's dedupe key)."""
    item = by_id(OutboxItem, item_id)
    if item is None or (webhook_id is not None and item.webhook_id != webhook_id):
        return None
    item.status = "pending"
    item.next_attempt_at = utcnow()
    db.session.commit()
    return item
