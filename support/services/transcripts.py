"""Finding, exporting and erasing stored conversations."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import delete, exists, select

from ..extensions import db, execute_dml
from ..friendly_names import visitor_name
from ..models import (
    Agent,
    AgentReadMark,
    Conversation,
    ConversationActivity,
    Message,
    Visitor,
    utcnow,
)
from ..serializers import (
    attachment_dict,
    conversation_dict,
    iso,
    message_dict,
    visitor_detail_dict,
)
from . import attachments, inbox, outbox
from .activity import activity_dict, activity_of, describe, timeline
from .audit import Actor, write
from .errors import InvalidPayload

# --- export ------------------------------------------------------------------------------------

CSV_COLUMNS = ["seq", "created_at", "sender_type", "sender_name", "private", "body"]
# OWASP's CSV-injection guidance: a cell that starts with one of these may run as a formula.
# Spreadsheets skip leading whitespace and line breaks before a formula and some read the
# full-width look-alikes (U+FF1D, U+FF0B, U+FF0D, U+FF20) as the ASCII signs.
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
FORMULA_STARTS = ("\t", "\r", "\n")


def csv_safe(value) -> str:
    """A cell no spreadsheet will run as a formula: a risky start (a formula sign, also after
    whitespace or line breaks, or a tab/CR/LF) gets a leading quote, as OWASP advises."""
    text = "" if value is None else str(value)
    risky = text.startswith(FORMULA_STARTS) or text.lstrip()[:1] in FORMULA_SIGNS
    return "'" + text if risky else text


def transcript_json(conversation: Conversation, agent: Agent | None = None) -> dict:
    """The same body as ``GET /api/v1/conversations/ID``; given the ``agent`` who asks, the
    conversation carries that agent's own unread count."""
    messages = db.session.scalars(
        select(Message).where(Message.conversation_id == conversation.id).order_by(Message.seq)
    )
    return {
        "conversation": (
            inbox.agent_view(agent, conversation)
            if agent is not None
            else conversation_dict(conversation, for_agents=True)
        ),
        "messages": [message_dict(m) for m in messages],
        "activity": [activity_dict(a) for a in activity_of(conversation.id)],
    }


def _all_messages(conversation: Conversation):
    return db.session.scalars(
        select(Message).where(Message.conversation_id == conversation.id).order_by(Message.seq)
    )


def transcript_csv_rows(conversation: Conversation) -> Iterator[list[str]]:
    yield CSV_COLUMNS
    for m in _all_messages(conversation):
        row = [m.seq, iso(m.created_at), m.sender_type, m.sender_name, m.private, m.body]
        yield [csv_safe(cell if not isinstance(cell, bool) else str(cell).lower()) for cell in row]


def transcript_csv(conversation: Conversation) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(transcript_csv_rows(conversation))
    return buffer.getvalue()


def transcript_text(conversation: Conversation) -> str:
    """A plain-text transcript a person can read."""
    visitor = conversation.visitor
    lines = [
        f"Conversation {conversation.id}",
        f"Visitor: {visitor_name(visitor)}" + (f" <{visitor.email}>" if visitor.email else ""),
        f"Status: {conversation.status}",
        f"Started: {iso(conversation.created_at)}",
        "",
    ]
    history = timeline(list(_all_messages(conversation)), activity_of(conversation.id))
    for kind, item in history:
        if kind == "activity":
            lines.append(f"[{iso(item.created_at)}] -- {describe(item)}")
            continue
        who = item.sender_name or item.sender_type.capitalize()
        note = " (private note)" if item.private else ""
        lines.append(f"[{iso(item.created_at)}] #{item.seq} {who}{note}: {item.body}")
        lines.extend(_attachment_lines(item))
    return "\n".join(lines) + "\n"


def _attachment_lines(message: Message) -> list[str]:
    """One line per attachment: its name, size and signed link."""
    return [
        f"    attachment: {a['name']} ({a['size']} bytes) {a['url']}"
        for a in (attachment_dict(row) for row in message.attachments)
    ]


def visitor_export(visitor: Visitor) -> dict:
    """Everything stored about a visitor, for an access request."""
    conversations = db.session.scalars(
        select(Conversation).where(Conversation.visitor_id == visitor.id)
    )
    return {
        "visitor": visitor_detail_dict(visitor) | {"ip_address": visitor.ip_address},
        "conversations": [transcript_json(c) for c in conversations],
        "attachments": attachments.count_for_visitor(visitor.id),
    }


def csv_stream(rows: Iterator[list]) -> Iterator[str]:
    """CSV text, one line at a time (for streamed downloads)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def json_lines(items: Iterator[dict]) -> Iterator[str]:
    """A JSON array, written item by item."""
    yield "["
    for index, item in enumerate(items):
        yield ("," if index else "") + json.dumps(item)
    yield "]"


# --- erasure -----------------------------------------------------------------------------------

PERSONAL_FIELDS = (
    "name",
    "email",
    "page_url",
    "referrer",
    "user_agent",
    "ip_address",
    "locale",
    "timezone",
)


def _delete_conversations(conversation_ids, *, only=None) -> int:
    """Delete conversations and everything that hangs off them; how many conversations went.

    ``conversation_ids`` is a list or a SELECT of ids; ``only`` is a condition every deleted
    conversation must still meet at the moment of deletion (purge's "still closed and expired"),
    checked again by every statement so nothing else is touched."""
    if isinstance(conversation_ids, list) and not conversation_ids:
        return 0
    targets = select(Conversation.id).where(Conversation.id.in_(conversation_ids))
    if only is not None:
        targets = targets.where(only).with_for_update()
    attachments.delete_for_conversations(targets)
    outbox.forget_conversations(targets)
    for model in (Message, AgentReadMark, ConversationActivity):
        db.session.execute(delete(model).where(model.conversation_id.in_(targets)))
    condition = Conversation.id.in_(conversation_ids)
    if only is not None:
        condition = condition & only
    return execute_dml(delete(Conversation).where(condition)).rowcount or 0


def clear_personal_data(visitor: Visitor) -> None:
    """Drop everything personal (agents then see the friendly name derived from the id)."""
    for field in PERSONAL_FIELDS:
        setattr(visitor, field, None)
    visitor.verified = False


def delete_conversation(conversation: Conversation, *, actor: Actor | None = None) -> None:
    """Delete a conversation and its messages, and clear its visitor's personal data; audited
    with ``actor``."""
    visitor, conversation_id = conversation.visitor, conversation.id
    _delete_conversations([conversation_id])
    clear_personal_data(visitor)
    write(actor, "conversation_deleted", conversation_id)
    db.session.commit()


def erase_visitor(visitor: Visitor, *, actor: Actor | None = None) -> int:
    """Delete everything of a visitor: its conversations, messages and the visitor itself
    (an erasure request); audited with ``actor``, naming only the visitor's id."""
    visitor_id = visitor.id
    ids = list(
        db.session.scalars(select(Conversation.id).where(Conversation.visitor_id == visitor.id))
    )
    _delete_conversations(ids)
    attachments.delete_unsent_of("visitor", visitor.id)
    db.session.execute(delete(Visitor).where(Visitor.id == visitor.id))
    write(actor, "visitor_erased", visitor_id, {"conversations": len(ids)})
    db.session.commit()
    return len(ids)


PURGE_BATCH = 500


def purge_closed(older_than_days: int) -> int:
    """Delete conversations closed more than ``older_than_days`` ago, with their messages, and
    visitors left with no conversation. Returns how many conversations went.

    Guarantee 9: the candidates are only a list to work through. Each batch is deleted by
    statements that check again, at the moment of deletion, that every conversation is still
    closed and still past the cutoff, and lock those rows until the batch commits; so a
    conversation reopened meanwhile survives with all its messages."""
    if older_than_days < 0:
        raise InvalidPayload("days must not be negative")
    cutoff = utcnow() - timedelta(days=older_than_days)
    candidates = list(db.session.scalars(select(Conversation.id).where(_expired(cutoff))))
    db.session.commit()  # each batch reads the rows afresh, in a transaction of its own
    deleted = 0
    for start in range(0, len(candidates), PURGE_BATCH):
        deleted += _delete_if_still_expired(candidates[start : start + PURGE_BATCH], cutoff)
    orphan = ~exists().where(Conversation.visitor_id == Visitor.id)
    db.session.execute(delete(Visitor).where(orphan, Visitor.last_seen_at < cutoff))
    db.session.commit()
    return deleted


def _expired(cutoff):
    return (Conversation.status == "closed") & (Conversation.closed_at < cutoff)


def _delete_if_still_expired(batch: list[str], cutoff) -> int:
    """One batch, in one transaction: those conversations of ``batch`` that are still expired
    (their rows locked, so none can be reopened before the commit), with everything of theirs;
    how many went."""
    gone = _delete_conversations(batch, only=_expired(cutoff))
    db.session.commit()
    return gone
