"""What ``/api/v1`` answers, for the OpenAPI document. The handlers build these answers as dicts
(``serializers`` and the services' ``*_dict``/``*_json``); ``tests/test_openapi.py`` checks
real answers against the schemas generated from these models, so they describe what is sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from .http import WEBHOOK_EVENTS


class Answer(BaseModel):
    """Documentation only: answers may grow fields, so none is closed to more."""


class ErrorDetail(Answer):
    code: str = Field(description="invalid_payload, unauthorized, forbidden, not_found, …")
    message: str
    fields: dict[str, str] | None = Field(
        None, description="settings changes: each refused field (path → message)"
    )


class Error(Answer):
    error: ErrorDetail


class Person(Answer):
    id: str
    name: str | None


class Sender(Answer):
    type: Literal["visitor", "agent", "system"]
    id: str | None
    name: str | None


class Attachment(Answer):
    id: str
    name: str
    size: int
    content_type: str
    url: str = Field(description="a signed link that expires")


class Message(Answer):
    id: str
    conversation_id: str
    seq: int = Field(ge=1)
    client_id: str | None
    sender: Sender
    body: str
    private: bool
    attachments: list[Attachment]
    created_at: datetime


class ConversationVisitor(Answer):
    id: str
    name: str | None = Field(description="the visitor's own name, or a stable friendly one")
    email: str | None
    verified: bool


class Conversation(Answer):
    id: str
    status: Literal["open", "closed"]
    visitor: ConversationVisitor
    assignee: Person | None
    last_seq: int
    rating: int | None
    created_at: datetime
    updated_at: datetime
    visitor_read_seq: int
    agent_read_seq: int
    preview: str | None
    last_message_at: datetime | None
    unread: int = Field(description="visitor messages after the asking agent's own read mark")
    closed_at: datetime | None
    rating_comment: str | None
    offline: bool = Field(description="opened while nobody could chat: answer by email")
    waiting_since: datetime | None = Field(
        None,
        description="the visitor's first message after the team's last reply (in answers to "
        "an agent; exports leave it out)",
    )


class Activity(Answer):
    id: int | str
    conversation_id: str
    kind: str
    actor: Person | None
    target: Person | None
    note: str | None
    text: str = Field(description="one readable sentence")
    created_at: datetime


class ConversationPage(Answer):
    items: list[Conversation]
    total: int
    page: int


class Transcript(Answer):
    conversation: Conversation
    messages: list[Message] = Field(description="every message, notes included")
    activity: list[Activity]


class SignedInAgent(Answer):
    id: str
    name: str
    email: str
    admin: bool
    active: bool


class TokenAnswer(Answer):
    token: str
    agent: SignedInAgent


class Agent(SignedInAgent):
    created_at: datetime
    invited: bool = Field(description="no password yet: the invite is not used")
    capacity: int | None


class AgentList(Answer):
    items: list[Agent]


class OneAgent(Answer):
    agent: Agent


class CreatedAgent(OneAgent):
    invite_url: str | None = Field(None, description="one-time, when no password was given")


class ApiToken(Answer):
    id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenList(Answer):
    items: list[ApiToken]


class CreatedToken(ApiToken):
    token: str = Field(description="the plain token, in this answer only")


class WidgetSettings(Answer):
    brand: dict[str, Any]
    layout: dict[str, Any]
    contact: dict[str, Any]
    chat: dict[str, Any]
    hours: dict[str, Any]
    allowed_origins: list[str] | None
    retention_days: int | None


class RoutingSettings(Answer):
    mode: Literal["manual", "auto"]
    capacity: int = Field(ge=1)
    claim_on_reply: bool
    requeue_after_minutes: int | None


class AgentRouting(Answer):
    capacity: int | None = Field(description="its own; null: the setting's")
    effective_capacity: int
    open: int


class CannedResponse(Answer):
    id: str
    shortcut: str
    title: str
    body: str


class CannedResponseList(Answer):
    items: list[CannedResponse]


class VisitorDetail(Answer):
    id: str
    name: str | None
    email: str | None
    verified: bool
    browser: str | None
    os: str | None
    page_url: str | None
    referrer: str | None
    locale: str | None
    timezone: str | None
    user_agent: str | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    ip_address: str | None


class VisitorExport(Answer):
    visitor: VisitorDetail
    conversations: list[Transcript]
    attachments: int = Field(description="how many files the visitor's conversations hold")


class Figures(Answer):
    conversations: int
    answered: int
    resolved: int
    first_response_median: float | None = Field(description="seconds")
    first_response_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    rated: int
    rating_average: float | None
    rating_distribution: dict[str, int] = Field(description="stars 1-5 → count")
    assigned: int
    queue_median: float | None
    queue_p90: float | None


class Day(Answer):
    date: date
    conversations: int


class AgentFigures(Figures):
    agent: Person


class Report(Answer):
    since: date
    until: date
    per_day: list[Day]
    overall: Figures
    agents: list[AgentFigures]


class AuditEvent(Answer):
    id: int
    action: str
    target: str | None
    detail: dict[str, Any] | None
    actor: Person | None
    ip_address: str | None
    created_at: datetime


class AuditPage(Answer):
    items: list[AuditEvent]
    total: int
    page: int


class Webhook(Answer):
    id: str
    url: str
    events: list[WEBHOOK_EVENTS]
    active: bool = Field(description="false once it kept failing")
    created_at: datetime
    secret: str | None = Field(
        None, description="whsec_ + base64 of the signing key; only in the answer to POST"
    )


class WebhookList(Answer):
    webhooks: list[Webhook]
    items: list[Webhook]


class OneWebhook(Answer):
    webhook: Webhook


class WebhookDelivery(Answer):
    id: str = Field(description="webhook-id is msg_ + this id")
    type: WEBHOOK_EVENTS | None
    status: Literal["pending", "sent", "failed", "skipped"]
    attempts: int
    response_code: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None


class DeliveryList(Answer):
    items: list[WebhookDelivery]


class OneDelivery(Answer):
    delivery: WebhookDelivery


class OneAttachment(Answer):
    attachment: Attachment


class AttachmentSettings(Answer):
    allowed_types: list[str]
    known_types: list[str]
    max_bytes: int
