"""Read receipts and typing indicators: what each side has seen, and who is writing.

Read marks only move forward and are recorded as events for the other side; typing has nothing
to store and is announced at once."""

from __future__ import annotations

from .. import events
from ..extensions import db
from ..models import Agent, Visitor
from ..serializers import conversation_dict
from . import inbox
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
    """An agent has seen the conversation up to ``seq``: its own read mark moves (and with it
    only its own unread count, which its other tabs hear about); the visitor's read receipt
    moves when this is the furthest any agent has read."""
    conversation = get_conversation(conversation_id)
    seq = max(0, min(seq, conversation.last_seq))
    if not inbox.move_read_mark(agent.id, conversation.id, seq):
        db.session.rollback()
        return
    left = inbox.unread_counts(agent.id, [conversation.id]).get(conversation.id, 0)
    events.record(db.session, events.AgentRead(agent.id, conversation.id, seq=seq, unread=left))
    if inbox.raise_shared_read_mark(conversation, seq):
        _commit_read(conversation, seq, by="agent")
    else:
        db.session.commit()


def _commit_read(conversation, seq: int, *, by: str) -> None:
    """Record the moved read mark for the other side, and commit."""
    data = conversation_dict(conversation, for_agents=True)
    events.record(db.session, events.MessagesRead(conversation=data, seq=seq, by=by))
    db.session.commit()


# --- typing ------------------------------------------------------------------------------------


def visitor_typing(visitor: Visitor, typing: bool) -> None:
    """Tell the agents that the visitor is (or stopped) typing in its open conversation."""
    conversation = current_conversation(visitor)
    if conversation is not None and conversation.status == "open":
        data = conversation_dict(conversation, for_agents=True)
        events.announce(events.Typing(conversation=data, sender="visitor", typing=typing))


def agent_typing(agent: Agent, conversation_id: str, typing: bool) -> None:
    """Tell the visitor, and the other agents on the conversation (so two agents do not
    answer at once unawares), that an agent is (or stopped) typing."""
    conversation = get_conversation(conversation_id)
    if conversation.status == "open":
        data = conversation_dict(conversation, for_agents=True)
        events.announce(events.Typing(data, "agent", typing, name=agent.name, agent_id=agent.id))


def agent_viewing(agent: Agent, conversation_id: str, viewing: bool) -> None:
    """Tell the other agents on the conversation that this agent has it open (or left it).
    Nothing is stored: dashboards repeat it while they show the conversation and forget a
    viewer that stopped repeating."""
    conversation = get_conversation(conversation_id)
    data = conversation_dict(conversation, for_agents=True)
    events.announce(events.Viewing(data, agent.id, agent.name, viewing=viewing))
