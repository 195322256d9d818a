"""The message path: storing one chat message in as few statements as its guarantees allow.

This is the server's hot path (docs/performance.md), so it uses prebuilt Core statements,
not the ORM's unit of work: no identity-map loads, no lazy loads, no flush bookkeeping. One
message is one transaction:

1. ``UPDATE conversations … RETURNING``: allocate the next ``seq`` and update the inbox fields
   (preview, last message time, unread count) in one statement, which also returns everything
   the conversation's JSON needs (the visitor's and the assignee's names come from scalar
   subqueries). On PostgreSQL it takes the row lock that keeps ``seq`` gapless under concurrent
   senders; SQLite has one writer at a time anyway. A visitor's update also checks that the
   ``client_id`` is new, so a resend matches no row and is answered with the stored message
   without a write. A visitor without an open conversation gets one (``INSERT … RETURNING``),
   guarded by the one-open-conversation index, and marked ``offline`` when live chat was off
   at that moment.
2. ``INSERT`` of the message; the unique index on (sender, ``client_id``) makes it exactly-once,
   racing duplicates included. A conflict rolls everything back (the seq too) and answers with
   the stored message. On PostgreSQL steps 1 and 2 are one statement (a data-modifying CTE):
   one round trip. A visitor's new message then counts towards their rate limit; past it, the
   transaction is rolled back and nothing is stored.
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

from sqlalchemy import (
    Boolean,
    DateTime,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
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
    message_id: str = field(default_factory=new_id)
    counted: bool = False  # counted towards the sender's rate limit (visitors)

    @property
    def kind(self) -> str | bool:
        """Which seq statement stores it: ``"visitor"``, or an agent's ``private`` flag."""
        return "visitor" if self.sender.type == "visitor" else self.private


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

STORED_ID = select(_messages.c.id).where(
    _messages.c.sender_type == bindparam("p_type"),
    _messages.c.sender_id == bindparam("p_sender"),
    _messages.c.client_id == bindparam("p_client"),
)
# A resend matches no row: the resend check is folded into the seq update (one statement less;
# ``_without_open_conversation`` tells a resend from a visitor without an open conversation).
VISITOR_SEQ = (
    update(_conversations)
    .where(_c.visitor_id == bindparam("p_sender"), _c.status == "open")
    .where(~STORED_ID.exists())
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


def _with_insert(seq_update, sender_name):
    """PostgreSQL: the seq update and the message's ``INSERT`` as one statement (a
    data-modifying CTE), so a message is one round trip instead of two. The insert takes the
    conversation and the seq from the update's row; no row updated, nothing inserted. A
    duplicate (sender, client_id) fails the whole statement, the seq update with it."""
    seq = seq_update.cte("seq")
    row = select(
        bindparam("p_id", type_=String),
        seq.c.id,
        seq.c.last_seq,
        bindparam("p_client", type_=String),
        bindparam("p_type", type_=String),
        bindparam("p_sender", type_=String),
        sender_name(seq),
        bindparam("p_body", type_=Text),
        bindparam("p_private", type_=Boolean),
        bindparam("p_now", type_=DateTime),
    )
    message = insert(_messages).from_select(_MESSAGE_COLUMNS, row).cte("message")
    return select(seq).add_cte(message)


_MESSAGE_COLUMNS = [
    "id",
    "conversation_id",
    "seq",
    "client_id",
    "sender_type",
    "sender_id",
    "sender_name",
    "body",
    "private",
    "created_at",
]
_AGENT_NAME = bindparam("p_sender_name", type_=String)
SEQ = {"visitor": VISITOR_SEQ, False: AGENT_SEQ[False], True: AGENT_SEQ[True]}
SEQ_AND_INSERT = {
    "visitor": _with_insert(VISITOR_SEQ, lambda seq: seq.c.visitor_name),
    False: _with_insert(AGENT_SEQ[False], lambda seq: _AGENT_NAME),
    True: _with_insert(AGENT_SEQ[True], lambda seq: _AGENT_NAME),
}


# --- posting -----------------------------------------------------------------------------------


def send_visitor_message(visitor_id: str, client_id: str, body: str, attachment_ids=()) -> Posted:
    """Store a visitor's message, opening a conversation when none is open. A resent
    ``client_id`` returns the stored message and counts towards no limit; past the limit
    nothing is stored (``RateLimited``); an erased visitor cannot post (``Unauthorized``)."""
    sender = Sender("visitor", visitor_id)
    draft = Draft(sender, client_id, body, attachment_ids=tuple(attachment_ids or ()))
    if _count_before_writing():
        stored = stored_message(sender, client_id)
        if stored is not None:
            return stored
        _count_towards_limit(draft)
    return _post(draft)


def _count_before_writing() -> bool:
    """Whether a visitor's message is counted towards their limit before its transaction
    writes (after a resend check of its own) rather than inside it, after the write.

    Inside is one statement less, and on PostgreSQL it only holds the conversation's row lock
    meanwhile. On SQLite the write holds the database's one write lock, and counting may yield
    to other green threads (the limiter's Redis round trip, or the thread its in-memory storage
    starts), which would then wait for that lock inside C, stopping the whole process: so on
    SQLite with a limit set, the count comes first, as it always did."""
    return db.engine.dialect.name == "sqlite" and limiter.limits("visitor_messages")


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


class _Resent(Exception):
    """The message was stored before (a visitor's resend, found by the seq update matching no
    row): its transaction ends without a write, and the stored message is the answer."""

    def __init__(self, stored: Posted) -> None:
        super().__init__("already stored")
        self.stored = stored


def _post(draft: Draft) -> Posted:
    """Run the transaction until it commits. When a unique index refuses it, either a twin of
    this message (same sender and client_id) committed first, and that stored message is the
    answer, or a concurrent first message opened the conversation, and trying again joins it."""
    for _ in range(TRIES):
        try:
            return _store(draft)
        except _Resent as resent:
            db.session.rollback()
            return resent.stored
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
        except RateLimited:
            db.session.rollback()  # the seq and the message go with it: nothing is stored
            raise
    raise RuntimeError("could not store the message after repeated conflicts")


def _store(draft: Draft) -> Posted:
    """The message's transaction (see the module's docstring)."""
    connection = db.session.connection()
    conversation, message = _write(connection, draft)
    _count_towards_limit(draft)
    conversation = _link_attachments(connection, draft, conversation, message)
    conversation = _claim_on_reply(connection, draft, conversation)
    return _commit(draft, conversation, message)


def _write(connection, draft: Draft):
    """Steps 1 and 2: the next seq and the inbox fields, with the conversation's row as it now
    is, and the message. On PostgreSQL both are one statement (``SEQ_AND_INSERT``) when the
    conversation is open; otherwise the message is inserted on its own."""
    params = _params(draft)
    joined = connection.dialect.name == "postgresql"
    statement = (SEQ_AND_INSERT if joined else SEQ)[draft.kind]
    conversation = connection.execute(statement, params).first()
    if conversation is None:
        conversation = _without_open_conversation(connection, draft)
        joined = False
    message = SimpleNamespace(
        id=draft.message_id,
        conversation_id=conversation.id,
        seq=conversation.last_seq,
        client_id=draft.client_id,
        sender_type=draft.sender.type,
        sender_id=draft.sender.id,
        sender_name=conversation.visitor_name if draft.kind == "visitor" else draft.sender.name,
        body=draft.body,
        private=draft.private,
        created_at=draft.now,
    )
    if not joined:
        connection.execute(INSERT_MESSAGE, vars(message))
    return conversation, message


def _params(draft: Draft) -> dict:
    """The bound parameters of the step 1 and 2 statements (each takes the ones it names)."""
    return {
        "p_now": draft.now,
        "p_preview": draft.body[:PREVIEW_LENGTH],
        "p_type": draft.sender.type,
        "p_sender": draft.sender.id,
        "p_sender_name": draft.sender.name,
        "p_client": draft.client_id,
        "p_conversation": draft.conversation_id,
        "p_id": draft.message_id,
        "p_body": draft.body,
        "p_private": draft.private,
    }


def _without_open_conversation(connection, draft: Draft):
    """The seq update matched no row. A visitor's message was either stored before (a resend:
    ``_Resent``) or is their first (a new conversation is opened); an agent's conversation is
    missing or closed."""
    if draft.kind == "visitor":
        stored = stored_message(draft.sender, draft.client_id)
        if stored is not None:
            raise _Resent(stored)
        return _open_conversation(connection, draft)
    if db.session.get(Conversation, draft.conversation_id) is None:
        raise NotFound("no such conversation")
    raise ConversationClosed("this conversation is closed")


def _count_towards_limit(draft: Draft) -> None:
    """A visitor's new message counts towards their limit, checked once the write has shown it
    is no resend (a resend counts towards no limit) and before the commit (past the limit,
    nothing is stored: ``_post`` rolls back). Each hit is counted before its commit, so
    concurrent messages cannot slip past the limit together. Counted once, even when the
    transaction is tried again; on SQLite with a limit set, already before the transaction
    (``_count_before_writing``)."""
    if draft.kind == "visitor" and not draft.counted:
        draft.counted = True
        if not limiter.allow("visitor_messages", draft.sender.id):
            raise RateLimited("too many messages; wait a moment and try again")


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
