"""The message path: storing one chat message in as few statements as its guarantees allow.

This is the server's hot path (docs/performance.md), so it uses prebuilt Core statements,
not the ORM's unit of work: no identity-map loads, no lazy loads, no flush bookkeeping. One
message is one transaction:

1. ``UPDATE conversations … RETURNING``: allocate the next ``seq`` and update the inbox fields
   (preview, last message time, unread count) in one statement, which also returns everything
   the conversation's JSON needs (the visitor's and the assignee's names come from scalar
   subqueries). On PostgreSQL it takes the row lock that keeps ``seq`` gapless under concurrent
   senders; SQLite has one writer at a time anyway. A visitor without an open conversation gets
   one (``INSERT … RETURNING``), guarded by the one-open-conversation index, and marked
   ``offline`` when live chat was off at that moment.
2. ``INSERT`` of the message; the unique index on (sender, ``client_id``) makes it exactly-once.
   A conflict rolls everything back (the seq too) and answers with the stored message.
3. The sender's uploads named by ``attachment_ids`` are linked to the message (refusing the whole
   message when one is not theirs to send), and an agent's first reply to an unassigned
   conversation claims it (a conditional update: of two agents replying at once one wins).
4. The events are recorded, then ``COMMIT``; ``realtime`` emits them after it.

The message and conversation are serialised once, here, and the same dicts serve the emits and
the ack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from .. import events
from ..extensions import db
from ..models import ID_PATTERN, Agent, Conversation, Message, Visitor, new_id, utcnow
from ..ratelimit import limiter
from ..serializers import conversation_dict, conversation_fields, message_dict
from . import activity, attachments
from .errors import ConversationClosed, InvalidPayload, NotFound, RateLimited, Unauthorized
from .presence import presence
from .settings import chat_online, routing_settings, widget_settings_snapshot

PREVIEW_LENGTH = 140
TRIES = 3

# Each model is mapped to a Table (the declarative base types ``__table__`` as any FROM clause).
_conversations = cast(Table, Conversation.__table__)
_messages = cast(Table, Message.__table__)
_visitors = cast(Table, Visitor.__table__)
_c = _conversations.c


@dataclass(frozen=True)
class Sender:
    """Who is posting: a visitor or an agent, with the name shown on the message (a visitor's
    is read in the transaction, so a changed name is never stale)."""

    type: str
    id: str
    name: str | None = None


@dataclass(frozen=True)
class Posted:
    """A stored message as JSON-ready dicts: the message, and the conversation as agents see it
    (``serializers.public_conversation`` gives the visitor's view)."""

    message: dict
    conversation: dict


@dataclass
class Draft:
    """One message on its way into the database, and what its transaction learns."""

    sender: Sender
    client_id: str
    body: str
    private: bool = False
    conversation_id: str | None = None  # given by agents; a visitor's is its open one
    attachment_ids: tuple = ()
    agent: Agent | None = None  # the sending agent (claiming on first reply names it)
    now: datetime = field(default_factory=utcnow)
    created: bool = False  # a visitor's first message opened the conversation


# --- the statements, built once ----------------------------------------------------------------


def _looked_up(column: str, table: str, key: str):
    """A scalar subquery in ``RETURNING``: a field of the row that ``conversations.<key>``
    names (written out, as SQLAlchemy would not correlate it inside an INSERT's RETURNING)."""
    return literal_column(
        f"(SELECT {table}.{column} FROM {table} WHERE {table}.id = conversations.{key})"  # noqa: S608 (our own constant names)
    )


_RETURNING = (
    *_conversations.c,
    _looked_up("name", "visitors", "visitor_id").label("visitor_name"),
    _looked_up("email", "visitors", "visitor_id").label("visitor_email"),
    _looked_up("verified", "visitors", "visitor_id").label("visitor_verified"),
    _looked_up("name", "agents", "assignee_id").label("assignee_name"),
)

_NEXT_SEQ = {"last_seq": _c.last_seq + 1, "updated_at": bindparam("p_now")}
_PUBLIC_INBOX: dict[str, Any] = {
    "preview": bindparam("p_preview"),
    "last_message_at": bindparam("p_now"),
}

VISITOR_SEQ = (
    update(_conversations)
    .where(_c.visitor_id == bindparam("p_visitor"), _c.status == "open")
    .values(**_NEXT_SEQ, **_PUBLIC_INBOX, unread_by_agents=_c.unread_by_agents + 1)
    .returning(*_RETURNING)
)
AGENT_SEQ = {
    False: update(_conversations)
    .where(_c.id == bindparam("p_conversation"), _c.status == "open")
    .values(
        **_NEXT_SEQ,
        **_PUBLIC_INBOX,
        first_response_at=func.coalesce(_c.first_response_at, bindparam("p_now")),
    )
    .returning(*_RETURNING),
    True: update(_conversations)  # a private note: no preview, no first response
    .where(_c.id == bindparam("p_conversation"), _c.status == "open")
    .values(**_NEXT_SEQ)
    .returning(*_RETURNING),
}
OPEN_CONVERSATION = insert(_conversations).returning(*_RETURNING)
PREVIEW = update(_conversations).where(_c.id == bindparam("p_conversation")).returning(*_RETURNING)
CLAIM_ON_REPLY = (
    update(_conversations)
    .where(_c.id == bindparam("p_conversation"), _c.assignee_id.is_(None))
    .values(
        assignee_id=bindparam("p_agent"),
        assigned_at=func.coalesce(_c.assigned_at, bindparam("p_now")),
    )
    .returning(*_RETURNING)
)
VISITOR_EXISTS = select(_visitors.c.id).where(_visitors.c.id == bindparam("p_visitor"))
INSERT_MESSAGE = insert(_messages)
STORED_ID = select(_messages.c.id).where(
    _messages.c.sender_type == bindparam("p_type"),
    _messages.c.sender_id == bindparam("p_sender"),
    _messages.c.client_id == bindparam("p_client"),
)


# --- posting -----------------------------------------------------------------------------------


def send_visitor_message(visitor_id: str, client_id: str, body: str, attachment_ids=()) -> Posted:
    """Store a visitor's message, opening a conversation when none is open. A resent
    ``client_id`` returns the stored message and counts towards no limit; past the limit
    nothing is stored (``RateLimited``); an erased visitor cannot post (``Unauthorized``)."""
    sender = Sender("visitor", visitor_id)
    stored = stored_message(sender, client_id)
    if stored is not None:
        return stored
    if not limiter.allow("visitor_messages", visitor_id):
        raise RateLimited("too many messages; wait a moment and try again")
    return _post(Draft(sender, client_id, body, attachment_ids=tuple(attachment_ids or ())))


def send_agent_message(
    agent: Agent,
    conversation_id: str,
    client_id: str,
    body: str,
    *,
    private: bool = False,
    attachment_ids=(),
) -> Posted:
    """Store an agent's message or private note in an open conversation; a reply (not a note)
    to an unassigned one claims it unless the routing settings say otherwise. A ``client_id``
    this agent used in another conversation is refused."""
    if not isinstance(conversation_id, str) or not ID_PATTERN.fullmatch(conversation_id):
        raise NotFound("no such conversation")
    sender = Sender("agent", agent.id, agent.name)
    draft = Draft(
        sender,
        client_id,
        body,
        private=private,
        conversation_id=conversation_id,
        attachment_ids=tuple(attachment_ids or ()),
        agent=agent,
    )
    return _post(draft)


def _post(draft: Draft) -> Posted:
    """Run the transaction until it commits. When a unique index refuses it, either a twin of
    this message (same sender and client_id) committed first, and that stored message is the
    answer, or a concurrent first message opened the conversation, and trying again joins it."""
    for _ in range(TRIES):
        try:
            return _store(draft)
        except IntegrityError:
            db.session.rollback()
            stored = stored_message(draft.sender, draft.client_id)
            if stored is not None:
                return _same_conversation(draft, stored)
        except ConversationClosed:
            db.session.rollback()
            stored = stored_message(draft.sender, draft.client_id)
            if stored is not None:
                return _same_conversation(draft, stored)
            raise
    raise RuntimeError("could not store the message after repeated conflicts")


def _store(draft: Draft) -> Posted:
    """The message's transaction (see the module's docstring)."""
    connection = db.session.connection()
    conversation = _allocate_seq(connection, draft)
    message = _insert_message(connection, draft, conversation)
    conversation = _link_attachments(connection, draft, conversation, message)
    conversation = _claim_on_reply(connection, draft, conversation)
    return _commit(draft, conversation, message)


def _allocate_seq(connection, draft: Draft):
    """Step 1: the next seq and the inbox fields, with the conversation's row as it now is."""
    params = {"p_now": draft.now, "p_preview": draft.body[:PREVIEW_LENGTH]}
    if draft.sender.type == "visitor":
        row = connection.execute(VISITOR_SEQ, params | {"p_visitor": draft.sender.id}).first()
        return row if row is not None else _open_conversation(connection, draft)
    params["p_conversation"] = draft.conversation_id
    row = connection.execute(AGENT_SEQ[draft.private], params).first()
    if row is None:
        if db.session.get(Conversation, draft.conversation_id) is None:
            raise NotFound("no such conversation")
        raise ConversationClosed("this conversation is closed")
    return row


def _open_conversation(connection, draft: Draft):
    """A visitor's first message: a new open conversation holding it (seq 1). The partial
    unique index refuses a second open one, and the caller then tries again and joins it."""
    if connection.execute(VISITOR_EXISTS, {"p_visitor": draft.sender.id}).first() is None:
        raise Unauthorized("this visitor no longer exists")
    draft.created = True
    values = {
        "id": new_id(),
        "visitor_id": draft.sender.id,
        "status": "open",
        "last_seq": 1,
        "visitor_read_seq": 0,
        "agent_read_seq": 0,
        "unread_by_agents": 1,
        "preview": draft.body[:PREVIEW_LENGTH],
        "last_message_at": draft.now,
        "created_at": draft.now,
        "updated_at": draft.now,
        "offline": chat_offline(),
    }
    return connection.execute(OPEN_CONVERSATION, values).first()


def chat_offline() -> bool:
    """Whether a conversation opening now is an offline message: the widget's own rule
    (``settings.chat_online``) on the settings it serves from (at most a second old, so no
    query on most first messages, and none at all for later ones)."""
    hours = widget_settings_snapshot()["hours"]
    return not chat_online(presence.anyone_online(), hours)


def _insert_message(connection, draft: Draft, conversation) -> SimpleNamespace:
    """Step 2: the message itself."""
    sender = draft.sender
    values = {
        "id": new_id(),
        "conversation_id": conversation.id,
        "seq": conversation.last_seq,
        "client_id": draft.client_id,
        "sender_type": sender.type,
        "sender_id": sender.id,
        "sender_name": conversation.visitor_name if sender.type == "visitor" else sender.name,
        "body": draft.body,
        "private": draft.private,
        "created_at": draft.now,
    }
    connection.execute(INSERT_MESSAGE, values)
    return SimpleNamespace(**values)


def _link_attachments(connection, draft: Draft, conversation, message):
    """Step 3a: the uploads the message names. A message of files alone shows their names as
    its inbox preview (rare: one more statement only then)."""
    attachments.attach_to_message(message, draft.attachment_ids)
    if draft.body or draft.private or not message.linked_attachments:
        return conversation
    preview = attachments.preview_of(message.linked_attachments)[:PREVIEW_LENGTH]
    statement = PREVIEW.values(preview=preview)
    return connection.execute(statement, {"p_conversation": conversation.id}).first()


def _claim_on_reply(connection, draft: Draft, conversation):
    """Step 3b: an agent's first reply (not a note) to an unassigned conversation makes it the
    assignee (PROTOCOL §4), in the reply's own transaction; the update only matches while
    nobody holds the conversation. Recorded like a claim: an update and an activity line."""
    if draft.agent is None or draft.private or conversation.assignee_id is not None:
        return conversation
    if not routing_settings()["claim_on_reply"]:
        return conversation
    params = {"p_conversation": conversation.id, "p_agent": draft.agent.id, "p_now": draft.now}
    claimed = connection.execute(CLAIM_ON_REPLY, params).first()
    if claimed is None:  # another agent claimed it meanwhile
        return conversation
    model = db.session.get_one(Conversation, conversation.id)
    db.session.refresh(model)
    activity.record_update(model, previous_assignee_id=None)
    activity.record_activity(model, draft.agent, "claimed")
    return claimed


def _commit(draft: Draft, conversation, message) -> Posted:
    """Step 4: serialise once, record what happened, commit (realtime emits after it)."""
    visitor = {
        "id": conversation.visitor_id,
        "name": conversation.visitor_name,
        "email": conversation.visitor_email,
        "verified": bool(conversation.visitor_verified),
    }
    assignee = None
    if conversation.assignee_id is not None:
        assignee = {"id": conversation.assignee_id, "name": conversation.assignee_name}
    posted = Posted(
        message_dict(message), conversation_fields(conversation, visitor, assignee, for_agents=True)
    )
    if draft.created:
        events.record(db.session, events.ConversationCreated(posted.conversation))
    events.record(db.session, events.MessageCreated(posted.message, posted.conversation))
    db.session.commit()
    return posted


# --- resends -----------------------------------------------------------------------------------


def stored_message(sender: Sender, client_id: str) -> Posted | None:
    """The message this sender already stored with this ``client_id``, if any."""
    params = {"p_type": sender.type, "p_sender": sender.id, "p_client": client_id}
    message_id = db.session.connection().execute(STORED_ID, params).scalar()
    if message_id is None:
        return None
    message = db.session.get_one(Message, message_id)
    conversation = db.session.get_one(Conversation, message.conversation_id)
    return Posted(message_dict(message), conversation_dict(conversation, for_agents=True))


def _same_conversation(draft: Draft, stored: Posted) -> Posted:
    """A resend is answered with the stored message, but only where it was sent: an agent's
    ``client_id`` reused in another conversation is a mistake, not a resend."""
    if draft.conversation_id is not None and stored.message["conversation_id"] != (
        draft.conversation_id
    ):
        raise InvalidPayload("this client_id was already used in another conversation")
    return stored
