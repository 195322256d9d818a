"""The data model: typed SQLAlchemy 2 models.

Ids are opaque strings (UUID hex). Times are stored as naive UTC and serialised with a ``Z``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import Model, db


def new_id() -> str:
    """An opaque, unguessable id."""
    return uuid.uuid4().hex


ID_PATTERN = re.compile(r"[0-9a-f]{32}")


def by_id(model, value):
    """The row of ``model`` with primary key ``value``, or None. Anything that cannot be one of
    our ids (wrong type, NUL bytes, 10 KB of text) is unknown without asking the database."""
    if not isinstance(value, str) or ID_PATTERN.fullmatch(value) is None:
        return None
    return db.session.get(model, value)


def utcnow() -> datetime:
    """Now, as naive UTC (the same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Agent(UserMixin, Model):
    """A person who answers chats. Admins also manage agents, settings and transcripts.

    Agents are deactivated, never deleted, so transcripts keep their author."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Under automatic routing: how many open conversations this agent holds at most (None: the
    # routing setting's capacity).
    capacity: Mapped[int | None] = mapped_column(Integer)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="agent")

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated agents cannot sign in
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session id: bumping ``session_version`` signs the agent out everywhere."""
        return f"{self.id}:{self.session_version}"


class ApiToken(Model):
    """A bearer token for the REST API and the ``/agent`` socket. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    agent: Mapped[Agent] = relationship(back_populates="tokens")


class Visitor(Model):
    """Someone who started a chat from the widget. Created only when they first act."""

    __tablename__ = "visitors"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    page_url: Mapped[str | None] = mapped_column(String(2000))
    referrer: Mapped[str | None] = mapped_column(String(2000))
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    conversations: Mapped[list[Conversation]] = relationship(back_populates="visitor")


class Conversation(Model):
    """One chat between a visitor and the team. ``last_seq`` allocates message numbers."""

    __tablename__ = "conversations"
    __table_args__ = (
        # At most one open conversation per visitor, enforced by the database so that two
        # concurrent first messages cannot open two.
        Index(
            "uq_conversations_one_open_per_visitor",
            "visitor_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_conversations_status_updated", "status", "updated_at"),
        Index("ix_conversations_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), index=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    visitor_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    unread_by_agents: Mapped[int] = mapped_column(Integer, default=0)
    preview: Mapped[str | None] = mapped_column(String(200))
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # When an agent first got it (claim or automatic routing): the reports' queue time.
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Opened while live chat was offline (no agent online, or outside business hours): an
    # offline message, which the dashboard marks and which is answered by email.
    offline: Mapped[bool] = mapped_column(Boolean, default=False)

    visitor: Mapped[Visitor] = relationship(back_populates="conversations")
    assignee: Mapped[Agent | None] = relationship()


class AgentReadMark(Model):
    """How far one agent has read one conversation: unread counts are per agent, so one agent
    reading never clears another's badge."""

    __tablename__ = "agent_read_marks"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id"), primary_key=True, index=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)


class ConversationActivity(Model):
    """An agents-only line in a conversation's history: claimed, transferred (with an optional
    note), closed, reopened. Not a message: it takes no seq and never reaches the visitor."""

    __tablename__ = "conversation_activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    target_id: Mapped[str | None] = mapped_column(String(32))
    target_name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Message(Model):
    """A message or private note. ``seq`` is gapless per conversation; ``client_id`` is the
    sender's idempotency key, unique per sender (not per conversation, so a retried first
    message can never open a second conversation)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("sender_type", "sender_id", "client_id", name="uq_messages_sender_client"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str | None] = mapped_column(String(64))
    sender_type: Mapped[str] = mapped_column(String(10))
    sender_id: Mapped[str | None] = mapped_column(String(32))
    sender_name: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # Lets the unit of work insert a new conversation before its messages.
    conversation: Mapped[Conversation] = relationship()
    # Queries of messages load these in one extra query per batch (services.attachments adds
    # the option); a new message gets its list set directly.
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.created_at", viewonly=True
    )


class Attachment(Model):
    """An uploaded file. Unsent until a message names it (``message_id``); the bytes live in
    the storage (``services.storage``) under ``storage_key``."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    uploader_type: Mapped[str] = mapped_column(String(10))
    uploader_id: Mapped[str] = mapped_column(String(32), index=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200))
    # Re-encoded images are the only files served inline.
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Setting(Model):
    """A named JSON document of settings; the widget's contact panel lives under ``widget``."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AuditEvent(Model):
    """An append-only record of who did what (sign-ins, settings, exports, deletions)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str | None] = mapped_column(String(32), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class SetupToken(Model):
    """The one-time link that creates the first admin; only its hash is stored."""

    __tablename__ = "setup_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), default="first-admin")
    agent_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class CannedResponse(Model):
    """A saved reply agents insert by typing ``/shortcut`` in the composer."""

    __tablename__ = "canned_responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    shortcut: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class OutboxItem(Model):
    """One mail or webhook delivery, written in the transaction that caused it and sent later by
        the outbox loop (``services.outbox``). ``id`` is stable across retries: it is the webhook's
        ``webhook-id``, so a receiver can drop a repeat. ``topic`` groups rows that batch together
        (``unread:<conversation id>``). ``conversation_id`` lets a deleted conversation take its
    rows (addresses, message text) with it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))  # mail | webhook
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # sent|failed|skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    response_code: Mapped[int | None] = mapped_column(Integer)
    webhook_id: Mapped[str | None] = mapped_column(String(32), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    topic: Mapped[str | None] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class Webhook(Model):
    """An endpoint that receives signed deliveries of the event types it chose. ``secret`` is
    ``whsec_`` + base64 of the signing key. ``failing_since`` marks the first failure after the
    last success; an endpoint failing for too long is disabled."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MailOptOut(Model):
    """Who asked for no more mail: ``conversation:<id>`` (a visitor's one-click unsubscribe) or
    ``agent:<id>`` (an agent's own switch)."""

    __tablename__ = "mail_opt_outs"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
