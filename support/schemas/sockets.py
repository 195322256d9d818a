"""Payloads of the socket events (PROTOCOL §4), strict: a wrong type is an error, never coerced.
``visitor:update`` takes ``base.VisitorProfile``, shared with ``POST /api/widget/visitors``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import (
    AttachmentIds,
    ClientId,
    Email,
    Id,
    OptionalBody,
    Page,
    Payload,
    Seq,
    Text,
)


class Empty(Payload):
    pass


class WithAttachments(Payload):
    """A message body that may be empty when the message carries attachments (uploaded first,
    named here by id)."""

    body: OptionalBody = ""
    attachment_ids: AttachmentIds = []

    @model_validator(mode="after")
    def _not_empty(self):
        if not self.body.strip() and not self.attachment_ids:
            raise ValueError("body must not be empty")
        return self


class VisitorMessage(WithAttachments):
    client_id: ClientId


class Typing(Payload):
    typing: bool


class ReadMark(Payload):
    seq: Seq


class SyncRequest(Payload):
    after_seq: Seq


class TranscriptRequest(Payload):
    """``transcript:email``: where to send it (default: the visitor's own address)."""

    email: Email | None = None


class Rating(Payload):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[Text, Field(max_length=1000)] | None = None


class InboxRequest(Payload):
    view: Literal["unassigned", "mine", "open", "closed"]
    page: Page = 1


class InboxSearch(Payload):
    """The dashboard's search box: the API's ``q``, every conversation the agent may see."""

    q: Annotated[Text, Field(min_length=1, max_length=200)]
    status: Literal["open", "closed"] | None = None
    page: Page = 1


class ConversationRef(Payload):
    conversation_id: Id


class Transfer(ConversationRef):
    agent_id: Id
    note: Annotated[Text, Field(max_length=500)] | None = None


class AgentMessage(WithAttachments, ConversationRef):
    client_id: ClientId
    private: bool = False


class AgentTyping(ConversationRef):
    typing: bool


class AgentViewing(ConversationRef):
    viewing: bool


class AgentReadMark(ConversationRef):
    seq: Seq


class AgentSync(ConversationRef):
    after_seq: Seq


class PresenceRequest(Payload):
    status: Literal["online", "away"]
