"""Payload schemas of the socket events (PROTOCOL §4), strict: a wrong type is an error, never
coerced. Shared with the HTTP API where the same fields appear."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

MAX_BODY = 4000
MAX_SEQ = 2**31 - 1


def clean_text(value: str) -> str:
    """Drop NUL characters (PostgreSQL cannot store them; SQLite then matches it) and refuse
    lone surrogates, which no database can store as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value.replace("\x00", "")


def _body(value: str) -> str:
    value = _optional_body(value)
    if not value.strip():
        raise ValueError("body must not be empty")
    return value


def _optional_body(value: str) -> str:
    """A body that may be empty (a message with attachments)."""
    value = clean_text(value)
    if len(value.strip()) > MAX_BODY:
        raise ValueError(f"body must be at most {MAX_BODY} characters")
    return value


def _known_time_zone(value: str) -> str:
    """An IANA time zone name that this server knows (``Europe/Paris``)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("timezone must be an IANA time zone such as Europe/Paris") from None
    return value


Text = Annotated[str, AfterValidator(clean_text)]
Body = Annotated[str, AfterValidator(_body)]
ClientId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Seq = Annotated[int, Field(ge=0, le=MAX_SEQ)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
MAX_ATTACHMENTS = 5
OptionalBody = Annotated[str, AfterValidator(_optional_body)]
AttachmentIds = Annotated[list[Id], Field(max_length=MAX_ATTACHMENTS)]


class Payload(BaseModel):
    """Strict types; unknown keys are ignored so newer clients keep working."""

    model_config = ConfigDict(strict=True, extra="ignore")


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


class VisitorProfile(Payload):
    """Visitor details, from ``POST /api/widget/visitors`` and ``visitor:update``."""

    name: Annotated[Text, Field(max_length=100)] | None = None
    email: Annotated[Text, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    hash: Annotated[Text, Field(max_length=128)] | None = None
    page_url: Annotated[Text, Field(max_length=2000)] | None = None
    referrer: Annotated[Text, Field(max_length=2000)] | None = None
    locale: Annotated[Text, Field(max_length=35)] | None = None
    timezone: Annotated[Text, Field(max_length=64), AfterValidator(_known_time_zone)] | None = None


class TranscriptRequest(Payload):
    """``transcript:email``: where to send it (default: the visitor's own address)."""

    email: Annotated[Text, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None


class Rating(Payload):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[Text, Field(max_length=1000)] | None = None


Page = Annotated[int, Field(ge=1, le=1_000_000)]


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


def describe(error: ValidationError) -> str:
    """One readable line from a pydantic error: ``field: problem``."""
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item["loc"]) or "payload"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
