"""What every schema builds on: the strict base model, the field types (text without NUL
characters, bodies, client ids, seqs, ids, pages) and the visitor profile that both the widget's
HTTP call and the ``visitor:update`` event take."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
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
Page = Annotated[int, Field(ge=1, le=1_000_000)]
Email = Annotated[Text, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]


class Payload(BaseModel):
    """Strict types; unknown keys are ignored so newer clients keep working."""

    model_config = ConfigDict(strict=True, extra="ignore")


class VisitorProfile(Payload):
    """Visitor details, from ``POST /api/widget/visitors`` and ``visitor:update``."""

    name: Annotated[Text, Field(max_length=100)] | None = None
    email: Email | None = None
    hash: Annotated[Text, Field(max_length=128)] | None = None
    page_url: Annotated[Text, Field(max_length=2000)] | None = None
    referrer: Annotated[Text, Field(max_length=2000)] | None = None
    locale: Annotated[Text, Field(max_length=35)] | None = None
    timezone: Annotated[Text, Field(max_length=64), AfterValidator(_known_time_zone)] | None = None


def describe(error: ValidationError) -> str:
    """One readable line from a pydantic error: ``field: problem``."""
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item["loc"]) or "payload"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
