"""What leaves the server as a file: one transcript, every conversation matching the list's
filters, everything stored about a visitor. Built here once for the admin pages and the API
(``downloads.download_response`` hands a file over), each audited with the acting agent."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..extensions import db
from ..models import Agent, Conversation
from . import conversations, reports, transcripts, visitors
from .audit import Actor, write
from .errors import InvalidPayload
from .search import Search, search_conversations


@dataclass(frozen=True)
class Download:
    """A file to hand over: its text (or its chunks, read as it is sent), type and name."""

    body: str | Iterator[str]
    mimetype: str
    filename: str


def _json_text(data: dict) -> str:
    """Compact JSON, as the API's other answers are written."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"


Renderer = Callable[[Conversation, Agent | None], str]

TRANSCRIPT_FORMATS: dict[str, tuple[str, Renderer]] = {
    "txt": ("text/plain; charset=utf-8", lambda c, _: transcripts.transcript_text(c)),
    "csv": ("text/csv; charset=utf-8", lambda c, _: transcripts.transcript_csv(c)),
    "json": ("application/json", lambda c, a: _json_text(transcripts.transcript_json(c, a))),
}


def transcript_file(
    conversation_id: str,
    fmt: str,
    *,
    viewer: Agent | None = None,
    actor: Actor | None = None,
) -> Download:
    """One conversation as ``txt``, ``csv`` or ``json``; ``viewer``, who asks, sees its own
    unread count in the JSON. Audited with ``actor`` (the admin pages; an agent reading a
    transcript through the API is not an export)."""
    if fmt not in TRANSCRIPT_FORMATS:
        raise InvalidPayload("format must be txt, csv or json")
    conversation = conversations.get_conversation(conversation_id)
    mimetype, render = TRANSCRIPT_FORMATS[fmt]
    body = render(conversation, viewer)
    if actor is not None:
        write(actor, "transcript_exported", conversation.id, {"format": fmt})
        db.session.commit()
    return Download(body, mimetype, f"conversation-{conversation.id}.{fmt}")


def conversations_file(
    search: Search, fmt: str, *, actor: Actor, filters: dict | None = None
) -> Download:
    """Every conversation the list shows the acting agent for ``search``, as CSV or a JSON
    array, streamed as it is read so memory stays flat. The filters are checked before anything
    is streamed; ``filters`` (the page's query) is kept in the audit entry."""
    search_conversations(search, actor.agent)  # validates before streaming starts
    body, mimetype = reports.export_stream(search, fmt, actor.agent)
    detail: dict = {"format": fmt}
    if filters is not None:
        detail["filters"] = filters
    write(actor, "transcripts_exported", None, detail)
    db.session.commit()
    return Download(body, mimetype, f"conversations.{fmt}")


def visitor_file(visitor_id: str, *, actor: Actor | None) -> Download:
    """Everything stored about a visitor, as JSON (an access request)."""
    visitor = visitors.get_visitor(visitor_id)
    data = transcripts.visitor_export(visitor)
    write(actor, "visitor_exported", visitor.id)
    db.session.commit()
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return Download(body, "application/json", f"visitor-{visitor.id}.json")
