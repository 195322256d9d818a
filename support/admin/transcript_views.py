"""Transcripts: the searchable list, one conversation, exports, deletion and visitor erasure."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from ..api.query import search_from_args
from ..api.v1 import transcript_download
from ..services import agents, conversations, reports, transcripts, visitors
from ..services.activity import activity_of, describe, timeline
from ..services.errors import ServiceError
from ..services.search import Search, search_conversations
from .blueprint import audit_log, bp

PER_PAGE = 25
FILTER_KEYS = ("q", "status", "assignee", "since", "until", "rating", "verified", "sort")


def _search() -> Search:
    search = search_from_args()
    if not request.args.get("per_page"):
        search.per_page = PER_PAGE
    return search


def _filters() -> dict:
    """The active filters, for links (paging, export) that must keep them."""
    return {key: request.args[key] for key in FILTER_KEYS if request.args.get(key)}


@bp.get("/transcripts")
def transcripts_page():
    """Every conversation matching the same filters as ``GET /api/v1/conversations``."""
    error, items, total, search = None, [], 0, Search(per_page=PER_PAGE)
    try:
        search = _search()
        items, total = search_conversations(search, current_user)
    except ServiceError as problem:
        error = problem.message
    pages = max(1, -(-total // search.per_page))
    return render_template(
        "admin/transcripts.html",
        items=items,
        total=total,
        search=search,
        pages=pages,
        filters=_filters(),
        agents=agents.list_agents(),
        error=error,
    ), (400 if error else 200)


def stream_export(search: Search, fmt: str) -> Response:
    """Every matching conversation as one CSV or JSON download, written as it is read so that
    memory stays flat however many there are; ``assignee=me`` is the signed-in admin."""
    body, mimetype = reports.export_stream(search, fmt, current_user._get_current_object())
    response = Response(stream_with_context(body), content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="conversations.{fmt}"'
    return response


@bp.get("/transcripts/export")
def export_transcripts():
    fmt = request.args.get("format", "csv")
    search = _search()
    search_conversations(search, current_user)  # validates the filters before streaming
    audit_log("transcripts_exported", None, {"format": fmt, "filters": _filters()})
    return stream_export(search, fmt)


@bp.get("/transcripts/<conversation_id>")
def transcript_page(conversation_id: str):
    """One conversation: every message and note with its time, and what can be done with it."""
    conversation = conversations.get_conversation(conversation_id)
    messages = conversations.messages_after(conversation, 0, include_private=True)
    return render_template(
        "admin/transcript.html",
        conversation=conversation,
        history=timeline(messages, activity_of(conversation.id)),
        describe=describe,
        visitor=conversation.visitor,
    )


@bp.get("/transcripts/<conversation_id>/download")
def download_transcript(conversation_id: str):
    fmt = request.args.get("format", "txt")
    response = transcript_download(conversation_id, fmt)
    audit_log("transcript_exported", conversation_id, {"format": fmt})
    return response


@bp.post("/transcripts/<conversation_id>/delete")
def delete_transcript(conversation_id: str):
    """Delete the conversation and its messages, and clear the visitor's personal data."""
    conversation = conversations.get_conversation(conversation_id)
    transcripts.delete_conversation(conversation)
    audit_log("conversation_deleted", conversation_id)
    flash("The conversation was deleted.")
    return redirect(url_for("admin.transcripts_page"))


@bp.get("/visitors/<visitor_id>/export")
def export_visitor(visitor_id: str):
    """Everything stored about a visitor, as a JSON download (for access requests)."""
    visitor = visitors.get_visitor(visitor_id)
    response = Response(_json(transcripts.visitor_export(visitor)), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="visitor-{visitor.id}.json"'
    audit_log("visitor_exported", visitor_id)
    return response


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


@bp.post("/visitors/<visitor_id>/erase")
def erase_visitor(visitor_id: str):
    """Delete the visitor and all its conversations, for an erasure request."""
    count = transcripts.erase_visitor(visitors.get_visitor(visitor_id))
    audit_log("visitor_erased", visitor_id, {"conversations": count})
    flash(f"The visitor and {count} conversation{'s' if count != 1 else ''} were erased.")
    return redirect(url_for("admin.transcripts_page"))
