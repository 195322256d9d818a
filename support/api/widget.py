"""``/api/widget``: what the widget reads and the visitor token it gets on first contact.

Sites listed in the allowed origins (``SUPPORT_ALLOWED_ORIGINS`` or the admin's list) may call
these from their own pages, so answers carry CORS headers for them."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wsgi import get_host

from .. import origins
from ..http_cache import Answer, add_vary, etag_of, public, public_answer, public_response
from ..origins import origin_allowed
from ..ratelimit import limiter
from ..schemas.base import VisitorProfile, describe
from ..services import settings, visitors
from ..services.presence import presence
from .errors import error_response, install_json_errors

bp = Blueprint("widget_api", __name__, url_prefix="/api/widget")
install_json_errors(bp)


CONFIG_MAX_AGE = 5  # `online` follows agents' presence: a browser asks again within seconds


def _cors_origin() -> str | None:
    """The value for ``Access-Control-Allow-Origin``, or None to send none (CORS headers go on
    every page view, hence the settings' snapshot)."""
    origin = request.headers.get("Origin")
    return origin if origin and origin_allowed(origin, snapshot=True) else None


@bp.after_request
def add_cors_headers(response):
    origin = _cors_origin()
    if origin:
        response.headers.extend(cors_headers(origin))  # new headers: no need to look first
        add_vary(response, "Origin")
    return response


def cors_headers(origin: str) -> list[tuple[str, str]]:
    return [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type"),
        ("Access-Control-Max-Age", "600"),
    ]


@bp.route("/config", methods=["GET", "OPTIONS"])
@public
def config():
    """The contact panel and chat texts, and whether an agent is online. Asked for on every
    page view: cached for seconds, then revalidated by an ETag of the body, which changes with
    the settings and with availability."""
    if request.method == "OPTIONS":
        return "", 204
    document = settings.public_widget_config(online=presence.anyone_online(), snapshot=True)
    body, etag = _serialized(document, current_app.json)
    return public_response(body, "application/json", CONFIG_MAX_AGE, etag=etag)


def config_before_flask(app, engine):
    """``config``'s GET answer for ``http_cache.PublicAnswers``, exactly as the view and the
    hooks above give it, from the settings' snapshot while it is fresh (else None: the view
    reads the settings again)."""

    def answer(environ: dict) -> Answer | None:
        stored = settings.fresh_widget_settings(engine)
        if stored is None:
            return None
        document = settings.public_config_of(stored, presence.anyone_online())
        body, etag = _serialized(document, app.json)
        origin = environ.get("HTTP_ORIGIN")
        cors = []
        if origin:
            allowed = settings.allowed_origins_of(stored, app.config["ALLOWED_ORIGINS"])
            if origins.passes(origin, allowed, get_host(environ)):
                cors = cors_headers(origin)
        return public_answer(
            environ,
            body,
            "application/json",
            CONFIG_MAX_AGE,
            etag,
            late_headers=cors,
            also_vary="Origin" if cors else "",
        )

    return answer


_last_config: tuple[dict | None, bytes, str] = (None, b"", "")


def _serialized(document: dict, json) -> tuple[bytes, str]:
    """The JSON body and ETag of ``document`` (``json``: the app's JSON provider), kept while
    it does not change (nearly every page view asks for the same one; comparing is cheaper
    than serializing and hashing)."""
    global _last_config
    last, body, etag = _last_config
    if document != last:
        body = json.dumps(document).encode()
        etag = etag_of(body)
        _last_config = (document, body, etag)
    return body, etag


@bp.route("/visitors", methods=["POST", "OPTIONS"])
def create_visitor():
    """A new visitor token. Called when someone first starts a chat, never on page load."""
    if request.method == "OPTIONS":
        return "", 204
    origin = request.headers.get("Origin")
    if origin and not origin_allowed(origin):
        return error_response("forbidden", "this site may not use the widget", 403)
    # Counted before the body is parsed, so a flood costs the server no parsing.
    if not limiter.allow("new_visitors", request.remote_addr or "unknown"):
        return error_response("rate_limited", "too many new visitors from this address", 429)
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        return error_response("invalid_payload", "the body must be a JSON object", 400)
    if body is not None and not isinstance(body, dict):
        return error_response("invalid_payload", "the body must be a JSON object", 400)
    try:
        profile = VisitorProfile.model_validate(body or {})
    except ValueError as error:
        return error_response("invalid_payload", describe(error), 400)
    visitor = visitors.create_visitor(
        profile.model_dump(exclude_unset=True),
        identity_secret=current_app.config.get("IDENTITY_SECRET"),
        user_agent=request.headers.get("User-Agent"),
        ip_address=request.remote_addr,
    )
    token = visitors.issue_token(visitor, current_app.secret_key)
    return jsonify({"visitor_id": visitor.id, "token": token, "verified": visitor.verified}), 201
