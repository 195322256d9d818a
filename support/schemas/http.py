"""What ``/api/v1`` takes: JSON bodies (strict, like the socket payloads) and query strings (text
by nature, so parsed from text). The handlers validate with these and the OpenAPI document is
generated from them, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .base import Payload, clean_text

MIN_PASSWORD_LENGTH = 8  # services.agents.MIN_PASSWORD_LENGTH (a test keeps them equal)
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100  # services.search.MAX_PER_PAGE: a larger page size is served as this
MAX_AUDIT_PAGE = 1_000_000
MAX_CAPACITY = 1000  # services.settings.MAX_CAPACITY
MAX_REQUEUE_MINUTES = 10080  # services.settings.MAX_REQUEUE_MINUTES
WEBHOOK_EVENTS = Literal[
    "conversation.created",
    "message.created",
    "conversation.assigned",
    "conversation.closed",
    "conversation.rated",
]


# --- query strings -------------------------------------------------------------------------------


def _whole(low: int, high: int) -> Callable[[Any], int]:
    """A whole number from ``low`` to ``high``, written in the query string."""

    def parse(value: Any) -> int:
        try:
            number = int(value) if isinstance(value, (str, int)) and len(str(value)) <= 20 else None
        except ValueError:
            number = None
        if number is None or isinstance(value, bool) or not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return number

    return parse


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("must be a date YYYY-MM-DD") from None


def _flag(value: Any) -> bool | None:
    """``true`` or ``false``; anything else is no filter."""
    return value if isinstance(value, bool) else {"true": True, "false": False}.get(value)


QueryText = Annotated[str, AfterValidator(clean_text), AfterValidator(lambda text: text or None)]
Day = Annotated[date, BeforeValidator(_day)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE), BeforeValidator(_whole(1, MAX_PAGE))]


class Query(BaseModel):
    """A query string: values arrive as text (empty ones are dropped before validation);
    unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore")


class ConversationQuery(Query):
    """The filters of ``GET /api/v1/conversations`` (and of the admin's transcript list)."""

    status: Literal["open", "closed"] | None = Field(None, description="open or closed")
    assignee: QueryText | None = Field(None, description="an agent id, `me` or `none`")
    q: QueryText | None = Field(
        None,
        description="words that must all appear in the messages or the visitor's name or email",
    )
    since: Day | None = Field(None, description="first creation date, inclusive")
    until: Day | None = Field(None, description="last creation date, inclusive")
    rating: Annotated[int, Field(ge=1, le=5), BeforeValidator(_whole(1, 5))] | None = Field(
        None, description="the visitor's rating, 1-5"
    )
    verified: Annotated[bool | None, BeforeValidator(_flag)] = Field(
        None, description="only visitors whose identity was (true) or was not (false) verified"
    )
    page: PageNumber = Field(1, description="page number from 1")
    per_page: Annotated[int, Field(ge=1, le=2**31), BeforeValidator(_whole(1, 2**31))] = Field(
        20, description=f"items per page (at most {MAX_PER_PAGE} are served)"
    )
    sort: Literal["newest", "oldest", "updated"] | None = Field(
        None, description="newest (default), oldest or updated"
    )


class ExportQuery(ConversationQuery):
    """``GET /api/v1/exports/conversations``: the list filters and a format."""

    format: Literal["csv", "json"] = Field("json", description="csv (a row per message) or json")


class TranscriptQuery(Query):
    format: Literal["txt", "csv", "json"] = "txt"


class PeriodQuery(Query):
    """``GET /api/v1/reports``."""

    since: Day | None = Field(None, description="first day (default: 29 days before until)")
    until: Day | None = Field(None, description="last day (default: today)")


class AuditQuery(Query):
    action: QueryText | None = Field(None, description="one action, such as agent_created")
    actor: QueryText | None = Field(None, description="an agent id")
    since: Day | None = None
    until: Day | None = None
    page: Annotated[
        int, Field(ge=1, le=MAX_AUDIT_PAGE), BeforeValidator(_whole(1, MAX_AUDIT_PAGE))
    ] = 1
    per_page: Annotated[int, Field(ge=1, le=200), BeforeValidator(_whole(1, 200))] = 50


# --- JSON bodies ---------------------------------------------------------------------------------


def _long_enough(password: str) -> str:
    """The service's own rule and words, so the API answers the same whichever checks first."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


Password = Annotated[
    str,
    AfterValidator(_long_enough),
    Field(json_schema_extra={"minLength": MIN_PASSWORD_LENGTH}),
]


class Credentials(Payload):
    """``POST /auth/token``; anything but an agent's good credentials is a 401."""

    email: str
    password: str


class NewAgent(Payload):
    """Without a password, the answer carries a one-time ``invite_url``."""

    email: Annotated[str, Field(max_length=254)]
    name: Annotated[str, Field(max_length=100)]
    admin: bool = False
    password: Password | None = None


class AgentChanges(Payload):
    """Given fields change; deactivation ends the agent's sessions and sockets."""

    name: Annotated[str, Field(max_length=100)] | None = None
    admin: bool | None = None
    active: bool | None = None
    password: Password | None = None
    capacity: Annotated[int, Field(ge=1)] | None = Field(
        None, description="its own capacity under automatic routing (null: the setting's)"
    )


class NewToken(Payload):
    label: Annotated[str, Field(min_length=1, max_length=100)]


class CapacityChange(Payload):
    capacity: Annotated[int, Field(ge=1)] | None = Field(
        None, description="null: follow the routing setting"
    )


class CannedResponseFields(Payload):
    shortcut: str = Field(description="after trimming: ^[a-z0-9][a-z0-9_-]{0,39}$")
    title: str
    body: str


class NewWebhook(Payload):
    url: str = Field(description="an http or https URL", json_schema_extra={"format": "uri"})
    events: Annotated[list[WEBHOOK_EVENTS], Field(min_length=1)]


class AttachmentTypes(Payload):
    allowed_types: list[str] = Field(description="content types, each one of known_types")


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


def _may_be_left_out(**kwargs: Any) -> Any:
    """A field that may be absent but never null (its schema shows no default)."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


class RoutingChanges(Payload):
    """Given fields change, the others stay. ``services.settings.validate_routing`` checks
    them (its errors name each field); ``tests/test_openapi.py`` keeps this model accepting
    exactly what it accepts."""

    model_config = ConfigDict(strict=True, extra="forbid")

    mode: Literal["manual", "auto"] = _may_be_left_out()
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY)] = _may_be_left_out()
    claim_on_reply: bool = _may_be_left_out()
    requeue_after_minutes: Annotated[int, Field(ge=1, le=MAX_REQUEUE_MINUTES)] | None = Field(
        None, description="null: never"
    )


Section = dict[str, Any]


class WidgetSettingsChanges(Payload):
    """Sections merge into the current settings, lists replace. ``services.settings`` checks
    the sections' contents (its errors name each field); ``tests/test_openapi.py`` keeps this
    model agreeing with it on the top level."""

    brand: Section = _may_be_left_out(description="{name, tagline, color #rrggbb}")
    layout: Section = _may_be_left_out(description="{position: left | right}")
    contact: Section = _may_be_left_out(
        description="{phone, email, intro, socials: [{network, url (http/https), label}]}"
    )
    chat: Section = _may_be_left_out(
        description="{greeting, offline_message, prechat_fields: [{name: name|email, label, "
        "required}]}"
    )
    hours: Section = _may_be_left_out(
        description="{enabled, timezone (IANA), days: {mon..sun: {open HH:MM, close HH:MM}}}"
    )
    allowed_origins: list[str] | None = Field(
        None, description="origins (scheme://host[:port]) that may embed the widget; null: any"
    )
    retention_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        None, description="closed conversations are deleted after this many days; null: never"
    )
