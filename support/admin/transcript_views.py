"""Transcripts: the searchable list, one conversation, exports, deletion and visitor erasure."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..downloads import download_response
from ..http_query import search_from_args
from ..services import agents, conversations, exports, transcripts, visitors
from ..services.activity import activity_of, describe, timeline
from ..services.errors import ServiceError
from ..services.search import Search, search_conversations
from .blueprint import acting, bp

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


@bp.get("/transcripts/export")
def export_transcripts():
    """Every matching conversation as one CSV or JSON download; ``assignee=me`` is the
    signed-in admin."""
    fmt = request.args.get("format", "csv")
    download = exports.conversations_file(_search(), fmt, actor=acting(), filters=_filters())
    return download_response(download)


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
    return download_response(exports.transcript_file(conversation_id, fmt, actor=acting()))


@bp.post("/transcripts/<conversation_id>/delete")
def delete_transcript(conversation_id: str):
    """Delete the conversation and its messages, and clear the visitor's personal data."""
    conversation = conversations.get_conversation(conversation_id)
    transcripts.delete_conversation(conversation, actor=acting())
    flash("The conversation was deleted.")
    return redirect(url_for("admin.transcripts_page"))


@bp.get("/visitors/<visitor_id>/export")
def export_visitor(visitor_id: str):
    """Everything stored about a visitor, as a JSON download (for access requests)."""
    return download_response(exports.visitor_file(visitor_id, actor=acting()))


@bp.post("/visitors/<visitor_id>/erase")
def erase_visitor(visitor_id: str):
    """Delete the visitor and all its conversations, for an erasure request."""
    count = transcripts.erase_visitor(visitors.get_visitor(visitor_id), actor=acting())
    flash(f"The visitor and {count} conversation{'s' if count != 1 else ''} were erased.")
    return redirect(url_for("admin.transcripts_page"))
