"""Uploads (``POST /api/widget/attachments`` for visitors, ``POST /api/v1/attachments`` for
agents) and downloads through signed, expiring links (``GET /attachments/<token>``).

Downloads are served so that no file can act as a page of ours: ``Content-Disposition:
attachment`` (inline only for images we re-encoded), ``nosniff`` and a ``sandbox`` CSP."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from itsdangerous import BadSignature, SignatureExpired
from werkzeug.exceptions import RequestEntityTooLarge

from ..http_query import json_body
from ..schemas.http import AttachmentTypes
from ..serializers import attachment_dict, attachment_signer, attachment_url
from ..services import agents, attachments, conversations, visitors
from ..services.errors import InvalidPayload, NotFound, ServiceError, Unauthorized
from .errors import error_response, install_json_errors
from .v1 import admin_required, api_actor, token_required

bp = Blueprint("attachments", __name__)
install_json_errors(bp)
bp.add_app_template_global(attachment_url)  # transcript pages link their files

# Room for the multipart envelope around the file itself.
MULTIPART_OVERHEAD = 16 * 1024


class PayloadTooLarge(ServiceError):
    code, status = "payload_too_large", 413


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _upload_limit() -> int:
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def _uploaded_file() -> tuple[str, str | None, bytes]:
    """The multipart field ``file``: refused from its Content-Length before anything is read
    when the request is too large, and by its real size after."""
    limit = _upload_limit()
    if (request.content_length or 0) > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(f"files may be at most {limit} bytes")
    request.max_content_length = limit + MULTIPART_OVERHEAD
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        raise PayloadTooLarge(f"files may be at most {limit} bytes") from None
    if upload is None:
        raise InvalidPayload("send the file as the multipart field 'file'")
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"files may be at most {limit} bytes")
    if not data:
        raise InvalidPayload("the file is empty")
    return upload.filename or "", upload.mimetype, data


def _created(attachment) -> tuple[Response, int]:
    return jsonify({"attachment": attachment_dict(attachment)}), 201


@bp.get("/api/widget/attachments")
def upload_rules():
    """What may be uploaded, so pickers can filter and say "too big" before sending."""
    types = attachments.allowed_types()
    extensions = sorted({e for t in types for e in attachments.KNOWN_TYPES[t]})
    response = jsonify(
        {
            "max_bytes": _upload_limit(),
            "allowed_types": types,
            "accept": ",".join(types + ["." + e for e in extensions]),
        }
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/api/widget/attachments")
def visitor_upload():
    """A visitor's upload, with its visitor token as the bearer token."""
    visitor = visitors.visitor_for_token(_bearer(), current_app.secret_key)
    if visitor is None:
        raise Unauthorized("a valid visitor token is required")
    name, claimed, data = _uploaded_file()
    uploader = attachments.Uploader("visitor", visitor.id)
    return _created(attachments.store_upload(uploader, name, claimed, data))


def _uploading_agent():
    """An API token, or the dashboard's session with its CSRF token (``X-CSRFToken``)."""
    token = _bearer()
    if token:
        return agents.agent_for_token(token)
    if not current_user.is_authenticated:
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except (CSRFError, ValueError):
        return None
    return agents.load_active(current_user.id)


@bp.post("/api/v1/attachments")
def agent_upload():
    """An agent's upload (API token, or the dashboard's session)."""
    agent = _uploading_agent()
    if agent is None:
        raise Unauthorized("a valid bearer token is required")
    name, claimed, data = _uploaded_file()
    uploader = attachments.Uploader("agent", agent.id)
    return _created(attachments.store_upload(uploader, name, claimed, data))


def _disposition(kind: str, name: str) -> str:
    fallback = attachments.ascii_name(name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.get("/attachments/<token>")
def download(token: str):
    """The file behind a signed link, while the link is young enough."""
    try:
        attachment_id = attachment_signer().loads(
            token, max_age=int(current_app.config["ATTACHMENT_URL_SECONDS"])
        )
    except SignatureExpired:
        return error_response("forbidden", "this link has expired", 403)
    except BadSignature:
        return error_response("forbidden", "this link is not valid", 403)
    attachment = attachments.get_attachment(attachment_id)
    data = attachments.read_bytes(attachment) if attachment else None
    if attachment is None or data is None:
        raise NotFound("no such attachment")
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = Response(data, content_type=content_type)
    kind = "inline" if attachment.inline else "attachment"
    response.headers["Content-Disposition"] = _disposition(kind, attachment.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/api/v1/conversations/<conversation_id>/attachments.zip")
@token_required
def conversation_files(conversation_id: str):
    """Every file of one conversation (notes' too: agents only), as one zip."""
    conversation = conversations.get_conversation(conversation_id)
    response = Response(
        attachments.zip_of_conversation(conversation.id), mimetype="application/zip"
    )
    filename = f"conversation-{conversation.id}-files.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/api/v1/settings/attachments")
@admin_required
def get_attachment_settings():
    """The allow-list of content types, and every type the server can check."""
    return jsonify(_attachment_settings())


@bp.patch("/api/v1/settings/attachments")
@admin_required
def update_attachment_settings():
    """``{"allowed_types": [content type]}``, each one of ``known_types``."""
    body = json_body(AttachmentTypes)
    attachments.save_allowed_types(body["allowed_types"], actor=api_actor())
    return jsonify(_attachment_settings())


def _attachment_settings() -> dict:
    return {
        "allowed_types": attachments.allowed_types(),
        "known_types": sorted(attachments.KNOWN_TYPES),
        "max_bytes": _upload_limit(),
    }
