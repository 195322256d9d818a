"""Conversations and messages: the rules of the chat, and the events they record.

Every change commits before it returns; the events recorded here are published by ``realtime``
after that commit (see ``support.events``).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db, execute_dml
from ..models import Agent, Conversation, Message, Visitor, by_id, utcnow
from . import messages
from .activity import record_activity, record_update
from .errors import (
    AlreadyAssigned,
    ConversationClosed,
    Forbidden,
    InvalidPayload,
    NotFound,
)

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


def post_visitor_message(visitor: Visitor, client_id: str, body: str, *, attachment_ids=()):
    """Store a visitor's message (see ``messages.send_visitor_message``, the sockets' way in)
    and return ``(message, conversation)`` as models, for scripts and tests."""
    posted = messages.send_visitor_message(visitor.id, client_id, body, attachment_ids)
    return _as_models(posted)


def post_agent_message(
    agent: Agent,
    conversation_id: str,
    client_id: str,
    body: str,
    *,
    private: bool = False,
    attachment_ids=(),
):
    """Store an agent's message or private note (see ``messages.send_agent_message``) and
    return ``(message, conversation)`` as models."""
    posted = messages.send_agent_message(
        agent, conversation_id, client_id, body, private=private, attachment_ids=attachment_ids
    )
    return _as_models(posted)


def _as_models(posted: messages.Posted) -> tuple[Message, Conversation]:
    return (
        db.session.get_one(Message, posted.message["id"]),
        db.session.get_one(Conversation, posted.conversation["id"]),
    )


# --- assignment and status ---------------------------------------------------------------------


def claim(agent: Agent, conversation_id: str) -> Conversation:
    """Make ``agent`` the assignee. Of concurrent claims exactly one wins: the update only
    matches while nobody holds the conversation, and its row count says who won."""
    conversation = get_conversation(conversation_id)
    won = execute_dml(
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
    record_update(conversation, previous_assignee_id=None)
    record_activity(conversation, agent, "claimed")
    db.session.commit()
    return conversation


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
    record_update(conversation, previous_assignee_id=previous)
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
    record_update(conversation, previous_assignee_id=conversation.assignee_id, change="closed")
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
    record_update(conversation, previous_assignee_id=conversation.assignee_id)
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
    record_update(conversation, previous_assignee_id=conversation.assignee_id, change="rated")
    db.session.commit()
    return conversation
