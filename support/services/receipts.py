"""Read receipts and typing indicators: what each side has seen, and who is writing.

Read marks only move forward and are recorded as events for the other side; typing has nothing
to store and is announced at once."""

from __future__ import annotations

from sqlalchemy import func, select

from .. import events
from ..extensions import db
from ..models import Agent, Message, Visitor
from ..serializers import conversation_dict
from .conversations import current_conversation, get_conversation

# --- read marks --------------------------------------------------------------------------------


def mark_read_by_visitor(visitor: Visitor, seq: int) -> None:
    """The visitor has seen its current conversation up to ``seq``."""
    conversation = current_conversation(visitor)
    if conversation is None:
        return
    seq = min(seq, conversation.last_seq)
    if seq <= conversation.visitor_read_seq:
        return
    conversation.visitor_read_seq = seq
    _commit_read(conversation, seq, by="visitor")


def mark_read_by_agent(agent: Agent, conversation_id: str, seq: int) -> None:
    """An agent has seen the conversation up to ``seq``; the unread count follows."""
    conversation = get_conversation(conversation_id)
    seq = min(seq, conversation.last_seq)
    if seq <= conversation.agent_read_seq:
        return
    conversation.agent_read_seq = seq
    conversation.unread_by_agents = (
        db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.conversation_id == conversation.id,
                Message.sender_type == "visitor",
                Message.seq > seq,
            )
        )
        or 0
    )
    _commit_read(conversation, seq, by="agent")


def _commit_read(conversation, seq: int, *, by: str) -> None:
    """Record the moved read mark for the other side, and commit."""
    data = conversation_dict(conversation, for_agents=True)
    events.record(db.session, "messages_read", conversation=data, seq=seq, by=by)
    db.session.commit()


# --- typing ------------------------------------------------------------------------------------


def visitor_typing(visitor: Visitor, typing: bool) -> None:
    """Tell the agents that the visitor is (or stopped) typing in its open conversation."""
    conversation = current_conversation(visitor)
    if conversation is not None and conversation.status == "open":
        data = conversation_dict(conversation, for_agents=True)
        events.announce("typing", conversation=data, sender="visitor", name=None, typing=typing)


def agent_typing(agent: Agent, conversation_id: str, typing: bool) -> None:
    """Tell the visitor that an agent is (or stopped) typing."""
    conversation = get_conversation(conversation_id)
    if conversation.status == "open":
        data = conversation_dict(conversation, for_agents=True)
        events.announce("typing", conversation=data, sender="agent", name=agent.name, typing=typing)
