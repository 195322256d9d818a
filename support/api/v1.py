"""``/api/v1``: the REST API for agents, bots and scripts. Bearer tokens from ``/auth/token``."""

from __future__ import annotations

import functools

from flask import Blueprint, g, jsonify, request
from pydantic import ValidationError

from ..downloads import download_response
from ..http_query import parse_query, search_from_args
from ..schemas.http import Credentials, TranscriptQuery
from ..serializers import agent_dict
from ..services import agents, conversations, exports, inbox, transcripts
from ..services.audit import Actor
from ..services.errors import Forbidden, Unauthorized
from ..services.search import search_conversations
from . import openapi
from .errors import install_json_errors

bp = Blueprint("api", __name__, url_prefix="/api/v1")
install_json_errors(bp)


def token_required(view):
    """Let the request through only with a valid ``Authorization: Bearer`` token."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        agent = agents.agent_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if agent is None:
            raise Unauthorized("a valid bearer token is required")
        g.agent = agent
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not g.agent.is_admin:
            raise Forbidden("only admins can do this")
        return view(*args, **kwargs)

    return token_required(wrapper)


def api_actor() -> Actor:
    """The token's agent and the request's address, for the audit entry the service writes;
    entries made through the API say so (``"via": "api"``)."""
    return Actor(g.agent, request.remote_addr, via="api")


@bp.post("/auth/token")
def issue_token():
    """Exchange an email and password for a bearer token (failures are throttled)."""
    try:
        credentials = Credentials.model_validate(request.get_json(silent=True))
    except ValidationError:
        # PROTOCOL §3: anything but good credentials is a 401.
        raise Unauthorized("send a JSON object with the email and password of an agent") from None
    agent = agents.sign_in(
        credentials.email, credentials.password, request.remote_addr or "unknown"
    )
    token = agents.issue_api_token(agent, label="api")
    return jsonify({"token": token, "agent": agent_dict(agent, with_email=True)})


@bp.get("/conversations")
@token_required
def list_conversations():
    """Conversations matching the filters, a page at a time."""
    search = search_from_args()
    items, total = search_conversations(search, g.agent)
    return jsonify(
        {
            "items": inbox.agent_views(g.agent, items),
            "total": total,
            "page": search.page,
        }
    )


@bp.get("/conversations/<conversation_id>")
@token_required
def get_conversation(conversation_id: str):
    """A conversation with every message, notes included."""
    conversation = conversations.get_conversation(conversation_id)
    return jsonify(transcripts.transcript_json(conversation, g.agent))


@bp.get("/conversations/<conversation_id>/transcript")
@token_required
def get_transcript(conversation_id: str):
    """A transcript as a download; the JSON carries the asking agent's own unread count."""
    fmt = parse_query(TranscriptQuery).format
    return download_response(exports.transcript_file(conversation_id, fmt, viewer=g.agent))


@bp.delete("/conversations/<conversation_id>")
@admin_required
def delete_conversation(conversation_id: str):
    """Delete a conversation and its messages, and clear the visitor's personal data."""
    conversation = conversations.get_conversation(conversation_id)
    transcripts.delete_conversation(conversation, actor=api_actor())
    return "", 204


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())
