"""Conversations and messages: the rules of the chat, and the events they record.

Every change commits before it returns; the events recorded here are published by ``realtime``
after that commit (see ``support.events``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import events
from ..extensions import db
from ..models import Agent, Conversation, Message, Visitor, by_id, utcnow
from ..ratelimit import limiter
from ..serializers import conversation_dict, message_dict
from . import attachments
from .activity import record_activity
from .errors import (
    AlreadyAssigned,
    ConversationClosed,
    Forbidden,
    InvalidPayload,
    NotFound,
    RateLimited,
)
from .settings import routing_settings

PREVIEW_LENGTH = 140


@dataclass(frozen=True)
class Sender:
    """Who is posting: a visitor or an agent, with the name shown on the message."""

    type: str
    id: str
    name: str | None


def visitor_sender(visitor: Visitor) -> Sender:
    return Sender("visitor", visitor.id, visitor.name)


def agent_sender(agent: Agent) -> Sender:
    return Sender("agent", agent.id, agent.name)


# --- reading -----------------------------------------------------------------------------------


def current_conversation(visitor: Visitor) -> Conversation | None:
    """The visitor's open conversation, or else its most recently closed one."""
    return db.session.scalar(
        select(Conversation)
        .where(Conversation.visitor_id == visitor.id)
        .order_by((Conversation.status == "open").desc(), Conversation.created_at.desc())
        .limit(1)
    )


def get_conversation(conversation_id) -> Conversation:
    conversation = by_id(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("no such conversation")
    return conversation


def messages_after(conversation: Conversation, after_seq: int, *, include_private: bool) -> list:
    """Messages with a seq above ``after_seq``, oldest first; notes only for agents."""
    query = select(Message).where(
        Message.conversation_id == conversation.id, Message.seq > after_seq
    )
    if not include_private:
        query = query.where(Message.private.is_(False))
    return list(db.session.scalars(query.order_by(Message.seq)))


def inbox_counts(agent: Agent) -> dict[str, int]:
    """How many conversations each open view holds."""
    open_ = Conversation.status == "open"

    def count(*conditions) -> int:
        query = select(func.count()).select_from(Conversation).where(*conditions)
        return db.session.scalar(query) or 0

    return {
        "unassigned": count(open_, Conversation.assignee_id.is_(None)),
        "mine": count(open_, Conversation.assignee_id == agent.id),
        "open": count(open_),
    }


def visitor_history(visitor_id: str) -> list[Conversation]:
    """All conversations of a visitor, newest first (the dashboard's 'past conversations')."""
    return list(
        db.session.scalars(
            select(Conversation)
            .where(Conversation.visitor_id == visitor_id)
            .order_by(Conversation.created_at.desc())
        )
    )


# --- posting -----------------------------------------------------------------------------------


def _stored_message(sender: Sender, client_id: str) -> Message | None:
    return db.session.scalar(
        select(Message).where(
            Message.sender_type == sender.type,
            Message.sender_id == sender.id,
            Message.client_id == client_id,
        )
    )


def post_visitor_message(visitor: Visitor, client_id: str, body: str, *, attachment_ids=None):
    """Store a visitor's message, opening a conversation when none is open.

    Returns ``(message, conversation)``. A resent ``client_id`` returns the stored message and
    counts towards no limit; a flood past the limit stores nothing and raises ``RateLimited``."""
    sender = visitor_sender(visitor)
    stored = _stored_message(sender, client_id)
    if stored is not None:
        return stored, get_conversation(stored.conversation_id)
    if not limiter.allow("visitor_messages", visitor.id):
        raise RateLimited("too many messages; wait a moment and try again")

    def attempt():
        conversation, created = _open_conversation_for(visitor)
        message = _insert_message(
            conversation, sender, client_id, body, private=False, attachment_ids=attachment_ids
        )
        visitor.last_seen_at = utcnow()
        return _commit_message(message, conversation, created=created)

    # A conversation closed between our read and our write sends the message to a new one.
    return _post_once(sender, client_id, attempt, retry_on=(IntegrityError, ConversationClosed))


def post_agent_message(
    agent: Agent,
    conversation_id: str,
    client_id: str,
    body: str,
    *,
    private: bool = False,
    attachment_ids=None,
):
    """Store an agent's message or private note in an open conversation. A reply (not a note)
    to an unassigned conversation claims it, unless the routing settings say otherwise.
    Returns ``(message, conversation)``."""
    sender = agent_sender(agent)
    stored = _stored_message(sender, client_id)
    if stored is not None:
        return stored, get_conversation(stored.conversation_id)

    def attempt():
        conversation = get_conversation(conversation_id)
        if conversation.status != "open":
            raise ConversationClosed("this conversation is closed")
        message = _insert_message(
            conversation, sender, client_id, body, private=private, attachment_ids=attachment_ids
        )
        if not private and conversation.first_response_at is None:
            conversation.first_response_at = message.created_at
        if not private:
            _claim_on_reply(agent, conversation)
        return _commit_message(message, conversation, created=False)

    return _post_once(sender, client_id, attempt)


def _post_once(sender: Sender, client_id: str, attempt, *, retry_on=(IntegrityError,), tries=3):
    """Run ``attempt`` until it commits. When a unique index refuses it, either a twin of this
    message (same sender and client_id) committed first, and that stored message is the
    answer, or a concurrent first message opened the conversation, and trying again joins it."""
    for _ in range(tries):
        try:
            return attempt()
        except retry_on:
            db.session.rollback()
            stored = _stored_message(sender, client_id)
            if stored is not None:
                return stored, get_conversation(stored.conversation_id)
    raise RuntimeError("could not store the message after repeated conflicts")


def _open_conversation_for(visitor: Visitor) -> tuple[Conversation, bool]:
    """The visitor's open conversation, created (and flushed) when there is none."""
    conversation = db.session.scalar(
        select(Conversation).where(
            Conversation.visitor_id == visitor.id, Conversation.status == "open"
        )
    )
    if conversation is not None:
        return conversation, False
    conversation = Conversation(visitor=visitor, status="open", last_seq=0)
    db.session.add(conversation)
    db.session.flush()
    return conversation, True


def _next_seq(conversation: Conversation) -> int:
    """Allocate the next seq in this transaction, from the conversation row: a row lock on
    PostgreSQL, serialised writers on SQLite; a rollback gives the number back."""
    new_seq = db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.status == "open")
        .values(last_seq=Conversation.last_seq + 1, updated_at=utcnow())
        .returning(Conversation.last_seq)
    ).scalar()
    if new_seq is None:
        db.session.rollback()
        raise ConversationClosed("this conversation is closed")
    return new_seq


def _insert_message(
    conversation, sender: Sender, client_id, body, *, private, attachment_ids=None
) -> Message:
    seq = _next_seq(conversation)
    message = Message(
        conversation_id=conversation.id,
        seq=seq,
        client_id=client_id,
        sender_type=sender.type,
        sender_id=sender.id,
        sender_name=sender.name,
        body=body,
        private=private,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    attachments.attach_to_message(message, attachment_ids)
    return message


def _commit_message(message: Message, conversation: Conversation, *, created: bool):
    """Update the conversation's inbox fields, record what happened, and commit."""
    db.session.refresh(conversation)
    if not message.private:
        conversation.preview = (message.body or attachments.preview_of(message))[:PREVIEW_LENGTH]
        conversation.last_message_at = message.created_at
        if message.sender_type == "visitor":
            conversation.unread_by_agents += 1
    db.session.flush()
    agents_view = conversation_dict(conversation, for_agents=True)
    if created:
        events.record(db.session, "conversation_created", conversation=agents_view)
    events.record(
        db.session,
        "message_created",
        message=message_dict(message),
        conversation=agents_view,
    )
    db.session.commit()
    return message, conversation


# --- assignment and status ---------------------------------------------------------------------


def _record_update(
    conversation: Conversation, *, previous_assignee_id: str | None, change: str | None = None
) -> None:
    """Record a changed conversation; ``previous_assignee_id`` lets realtime tell the agents who
    saw it before the change, as well as those who see it now; ``change`` (closed, rated) names
    what happened, for webhooks."""
    events.record(
        db.session,
        "conversation_updated",
        conversation=conversation_dict(conversation, for_agents=True),
        previous_assignee_id=previous_assignee_id,
        change=change,
    )


def claim(agent: Agent, conversation_id: str) -> Conversation:
    """Make ``agent`` the assignee. Of concurrent claims exactly one wins: the update only
    matches while nobody holds the conversation, and its row count says who won."""
    conversation = get_conversation(conversation_id)
    won = db.session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.assignee_id.is_(None),
            Conversation.status == "open",
        )
        .values(
            assignee_id=agent.id,
            updated_at=utcnow(),
            assigned_at=func.coalesce(Conversation.assigned_at, utcnow()),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        db.session.rollback()
        conversation = get_conversation(conversation_id)
        if conversation.status != "open":
            raise ConversationClosed("this conversation is closed")
        if conversation.assignee_id == agent.id:
            return conversation
        raise AlreadyAssigned("another agent has already claimed this conversation")
    db.session.refresh(conversation)
    _record_update(conversation, previous_assignee_id=None)
    record_activity(conversation, agent, "claimed")
    db.session.commit()
    return conversation


def _claim_on_reply(agent: Agent, conversation: Conversation) -> None:
    """An agent's first reply to an unassigned conversation makes it the assignee (PROTOCOL §4),
    in the reply's own transaction. The update only matches while nobody holds the
    conversation, so of two agents replying at once exactly one becomes the owner."""
    if conversation.assignee_id is not None or not routing_settings()["claim_on_reply"]:
        return
    won = db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.assignee_id.is_(None))
        .values(assignee_id=agent.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won:
        db.session.refresh(conversation)
        _record_update(conversation, previous_assignee_id=None)
        record_activity(conversation, agent, "claimed")


def _check_may_manage(agent: Agent, conversation: Conversation) -> None:
    """Transfer and close are for the assignee or an admin, or anyone while unassigned."""
    if conversation.assignee_id not in (None, agent.id) and not agent.is_admin:
        raise Forbidden("only the assignee or an admin can do this")


def transfer(
    agent: Agent, conversation_id: str, target_agent_id: str, note: str | None = None
) -> Conversation:
    """Hand the conversation to another (active) agent, with an optional note for them."""
    conversation = get_conversation(conversation_id)
    _check_may_manage(agent, conversation)
    if conversation.status != "open":
        raise ConversationClosed("this conversation is closed")
    target = by_id(Agent, target_agent_id)
    if target is None or not target.active:
        raise NotFound("no such agent")
    previous = conversation.assignee_id
    conversation.assignee_id = target.id
    conversation.assigned_at = conversation.assigned_at or utcnow()
    conversation.updated_at = utcnow()
    db.session.flush()
    db.session.refresh(conversation)
    _record_update(conversation, previous_assignee_id=previous)
    record_activity(
        conversation, agent, "transferred", target=target, note=note, previous_assignee_id=previous
    )
    db.session.commit()
    return conversation


def close(agent: Agent, conversation_id: str) -> Conversation:
    """Close the conversation; closing a closed one changes nothing."""
    conversation = get_conversation(conversation_id)
    _check_may_manage(agent, conversation)
    if conversation.status == "closed":
        return conversation
    conversation.status = "closed"
    conversation.closed_at = conversation.updated_at = utcnow()
    db.session.flush()
    _record_update(conversation, previous_assignee_id=conversation.assignee_id, change="closed")
    record_activity(conversation, agent, "closed")
    db.session.commit()
    return conversation


def reopen(agent: Agent, conversation_id: str) -> Conversation:
    """Open a closed conversation again, unless its visitor has since started another."""
    conversation = get_conversation(conversation_id)
    _check_may_manage(agent, conversation)
    if conversation.status == "open":
        return conversation
    conversation.status = "open"
    conversation.closed_at = None
    conversation.updated_at = utcnow()
    # The rating judged the conversation as it was closed; the visitor rates it again later.
    conversation.rating = conversation.rating_comment = None
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidPayload("the visitor has another open conversation") from None
    _record_update(conversation, previous_assignee_id=conversation.assignee_id)
    record_activity(conversation, agent, "reopened")
    db.session.commit()
    return conversation


def rate(visitor: Visitor, rating: int, comment: str | None) -> Conversation:
    """The visitor rates its current conversation once it is closed (a new rating replaces)."""
    conversation = current_conversation(visitor)
    if conversation is None:
        raise NotFound("there is no conversation to rate")
    if conversation.status != "closed":
        raise InvalidPayload("a conversation can be rated once it is closed")
    conversation.rating = rating
    conversation.rating_comment = comment
    db.session.flush()
    _record_update(conversation, previous_assignee_id=conversation.assignee_id, change="rated")
    db.session.commit()
    return conversation
