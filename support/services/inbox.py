"""The agents' inbox: its views, and what each agent sees of a conversation there.

Unread counts are per agent: each agent has its own read mark in each conversation, and a
conversation sent to an agent carries ``unread``, the visitor messages after *that agent's*
mark (PROTOCOL §2), so one agent reading never clears another's badge.

The count is computed when a conversation is sent to one agent (inbox lists, acks, the REST
API), from the messages above the mark; the message hot path writes nothing for it. Broadcasts
(``conversation:new``, ``conversation:updated``) reach many agents at once in one emit, so they
cannot carry one number per agent: a new conversation's count is the same for everyone (nobody
has read it yet), and ``conversation:updated`` leaves ``unread`` out; the dashboard counts from
the ``message:new`` events it receives and from its own reads, and is told its exact counts
again whenever it lists the inbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from ..extensions import db, execute_dml
from ..models import Agent, AgentReadMark, Conversation, Message
from ..serializers import conversation_dict, iso
from .errors import InvalidPayload

INBOX_PAGE = 200


def _last_reply_seq(conversation_id):
    """The seq of the conversation's last public agent message (0 when none)."""
    reply = aliased(Message)
    return func.coalesce(
        select(func.max(reply.seq))
        .where(
            reply.conversation_id == conversation_id,
            reply.sender_type == "agent",
            reply.private.is_(False),
        )
        .correlate_except(reply)  # two levels down: name the enclosing conversation row
        .scalar_subquery(),
        0,
    )


def _waiting_since(conversation_id):
    """When the visitor started waiting: its first message after the last agent reply (NULL
    when the team spoke last)."""
    waiting = aliased(Message)
    return (
        select(func.min(waiting.created_at))
        .where(
            waiting.conversation_id == conversation_id,
            waiting.sender_type == "visitor",
            waiting.seq > _last_reply_seq(conversation_id),
        )
        .correlate_except(waiting)
        .scalar_subquery()
    )


VIEWS = {
    "unassigned": lambda agent: (
        Conversation.status == "open",
        Conversation.assignee_id.is_(None),
    ),
    "mine": lambda agent: (Conversation.status == "open", Conversation.assignee_id == agent.id),
    "open": lambda agent: (Conversation.status == "open",),
    "closed": lambda agent: (Conversation.status == "closed",),
}


def inbox_page(agent: Agent, view: str, page: int = 1) -> tuple[list[Conversation], int]:
    """One page of a dashboard view and how many the view holds (the Closed view grows without
    end, so it pages instead of stopping silently). Unassigned puts the longest wait first,
    so nobody is forgotten at the bottom; the others are most recently active first."""
    if view not in VIEWS:
        raise InvalidPayload("view must be unassigned, mine, open or closed")
    where = VIEWS[view](agent)
    total = db.session.scalar(select(func.count()).select_from(Conversation).where(*where)) or 0
    order = [Conversation.updated_at.desc(), Conversation.id]
    if view == "unassigned":
        order.insert(0, _waiting_since(Conversation.id).asc().nulls_last())
    query = (
        select(Conversation)
        .where(*where)
        .order_by(*order)
        .limit(INBOX_PAGE)
        .offset((page - 1) * INBOX_PAGE)
    )
    return list(db.session.scalars(query)), total


def waiting_since(conversation_ids: Iterable[str]) -> dict[str, datetime]:
    """For conversations whose last public message is the visitor's: since when it waits."""
    ids = list(dict.fromkeys(conversation_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Conversation.id, _waiting_since(Conversation.id)).where(Conversation.id.in_(ids))
    )
    return {row[0]: row[1] for row in rows if row[1] is not None}


def unread_counts(agent_id: str, conversation_ids: Iterable[str]) -> dict[str, int]:
    """Visitor messages after ``agent_id``'s read mark, by conversation (absent means 0)."""
    ids = list(dict.fromkeys(conversation_ids))
    if not ids:
        return {}
    mark = and_(
        AgentReadMark.conversation_id == Message.conversation_id,
        AgentReadMark.agent_id == agent_id,
    )
    rows = db.session.execute(
        select(Message.conversation_id, func.count())
        .select_from(Message)
        .outerjoin(AgentReadMark, mark)
        .where(
            Message.conversation_id.in_(ids),
            Message.sender_type == "visitor",
            Message.seq > func.coalesce(AgentReadMark.seq, 0),
        )
        .group_by(Message.conversation_id)
    )
    return {row[0]: row[1] for row in rows}


def agent_views(agent: Agent, conversations: Iterable[Conversation]) -> list[dict]:
    """Conversations as ``agent`` sees them: the agents' fields with its own unread counts."""
    conversations = list(conversations)
    ids = [c.id for c in conversations]
    counts, waits = unread_counts(agent.id, ids), waiting_since(ids)
    return [
        conversation_dict(c, for_agents=True)
        | {"unread": counts.get(c.id, 0), "waiting_since": iso(waits.get(c.id))}
        for c in conversations
    ]


def agent_view(agent: Agent, conversation: Conversation) -> dict:
    """One conversation as ``agent`` sees it."""
    return agent_views(agent, [conversation])[0]


def move_read_mark(agent_id: str, conversation_id: str, seq: int) -> bool:
    """Move the agent's mark forward to ``seq`` (never back), in the caller's transaction; True
    when it moved. One statement on both databases: insert, or on conflict raise the mark."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    statement = insert(AgentReadMark).values(
        agent_id=agent_id, conversation_id=conversation_id, seq=seq
    )
    statement = statement.on_conflict_do_update(
        index_elements=["agent_id", "conversation_id"],
        set_={"seq": statement.excluded.seq},
        where=AgentReadMark.seq < statement.excluded.seq,
    )
    return bool(execute_dml(statement).rowcount)


def raise_shared_read_mark(conversation: Conversation, seq: int) -> bool:
    """Move the conversation's "an agent has read up to" mark (what the visitor's read receipts
    show) to ``seq`` if that is further; True when it moved."""
    moved = execute_dml(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.agent_read_seq < seq)
        .values(agent_read_seq=seq)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved:
        db.session.refresh(conversation)
    return bool(moved)
