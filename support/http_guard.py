"""What stands in front of the whole WSGI application, Socket.IO included: which proxies to
believe about the client's address and scheme, and how large a request body may be.

Both are WSGI middleware rather than Flask hooks so that they also cover Engine.IO's requests
(long-polling, the WebSocket handshake), which never reach a Flask view.
"""

from __future__ import annotations

import io
import json

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

# Routes that take file uploads, and the setting of their own (larger) body limit.
UPLOAD_PATHS = {
    "/api/widget/attachments": "UPLOAD_MAX_BYTES",
    "/api/v1/attachments": "UPLOAD_MAX_BYTES",
}


DEFAULT_LIMITS = {"MAX_REQUEST_BYTES": 1048576, "UPLOAD_MAX_BYTES": 10485760}


def body_limit(config, path: str) -> int:
    """The largest body accepted on ``path``: ``UPLOAD_MAX_BYTES`` for uploads,
    ``MAX_REQUEST_BYTES`` everywhere else."""
    key = UPLOAD_PATHS.get(path.rstrip("/") or "/", "MAX_REQUEST_BYTES")
    return int(config.get(key) or DEFAULT_LIMITS[key])


def _declared_length(environ) -> int | None:
    value = (environ.get("CONTENT_LENGTH") or "").strip()
    return int(value) if value.isdigit() else None


def too_large_body(limit: int) -> bytes:
    message = f"the request body is larger than {limit} bytes"
    return json.dumps({"error": {"code": "payload_too_large", "message": message}}).encode()


def _refuse(start_response, limit: int):
    body = too_large_body(limit)
    start_response(
        "413 Request Entity Too Large",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _read_at_most(stream, size: int) -> bytes:
    """Up to ``size`` bytes of ``stream``, however the server splits its reads."""
    parts, total = [], 0
    while total < size:
        chunk = stream.read(min(65536, size - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


class BodyLimit:
    """Refuses a body larger than the path's limit. A declared ``Content-Length`` is checked
    before anything reads the body; a chunked body (no length) is read here up to one byte past
    the limit, so what the application gets is either whole and within the limit or refused."""

    def __init__(self, wsgi_app, config) -> None:
        self.wsgi_app, self.config = wsgi_app, config

    def __call__(self, environ, start_response):
        limit = body_limit(self.config, environ.get("PATH_INFO") or "/")
        length = _declared_length(environ)
        if length is not None and length > limit:
            return _refuse(start_response, limit)
        if length is None and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                return _refuse(start_response, limit)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)


def _payload_too_large(error: RequestEntityTooLarge):
    """Werkzeug's own 413s (a form field past ``MAX_FORM_MEMORY_SIZE``) in the contract's
    shape."""
    limit = body_limit(current_app.config, request.path)
    return current_app.response_class(too_large_body(limit), 413, mimetype="application/json")


def install(app: Flask) -> None:
    """Wrap the app (after Flask-SocketIO wrapped it, so Engine.IO is covered too).

    ``TRUSTED_PROXIES`` hops of ``X-Forwarded-For``/``-Proto``/``-Host`` are believed (Werkzeug's
    ProxyFix), so rate limits, logs and the audit log see each client's own address; with 0
    those headers are ignored, as any client can send them."""
    app.register_error_handler(RequestEntityTooLarge, _payload_too_large)
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    # Replacing wsgi_app is Flask's way to add middleware (typed as a method).
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.wsgi_app = BodyLimit(app.wsgi_app, app.config)  # type: ignore[method-assign]
