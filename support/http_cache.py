"""Public responses that a browser, a proxy or a CDN may keep: the widget's frame and config.

Every page view of a site that embeds the widget asks for them, so they are answered with an
ETag (a repeat view gets ``304 Not Modified`` and no body), a short ``max-age``, a body
compressed per ``Accept-Encoding`` (each body compressed once, then kept), and never a cookie
or ``Vary: Cookie``: the session is never saved for these views (``PublicViewsKeepNoSession``).

Header work is done by hand here on purpose: Werkzeug's parsers and its ``response.vary`` /
``cache_control`` helpers cost more than the rest of such an answer (see docs/performance.md).
"""

from __future__ import annotations

import gzip
import hashlib
import threading

import brotli
from flask import Response, request

MAX_KEPT_BODIES = 64  # compressed bodies kept (a few configs and frames, in every encoding)
ENCODINGS = ("br", "gzip")  # the server's preference when a browser accepts both
_REFUSED = ("q=0", "q=0.0", "q=0.00", "q=0.000")


def _compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(body, quality=11)
    return gzip.compress(body, compresslevel=9, mtime=0)


class _CompressedBodies:
    """Compressed bodies by (ETag, encoding), so a busy config costs one compression per change.
    Bounded: when full it starts again (old ETags are rarely asked for after a change)."""

    def __init__(self) -> None:
        self._bodies: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def get(self, etag: str, encoding: str, body: bytes) -> bytes:
        key = (etag, encoding)
        compressed = self._bodies.get(key)
        if compressed is None:
            compressed = _compress(body, encoding)
            with self._lock:
                if len(self._bodies) >= MAX_KEPT_BODIES:
                    self._bodies.clear()
                self._bodies[key] = compressed
        return compressed


_compressed = _CompressedBodies()


def accepted_encoding(header: str) -> str | None:
    """The preferred of ``ENCODINGS`` that an ``Accept-Encoding`` header allows (``q=0``
    refuses one)."""
    accepted = set()
    for item in header.lower().split(","):
        name, _, params = item.partition(";")
        if params.replace(" ", "") not in _REFUSED:
            accepted.add(name.strip())
    return next((encoding for encoding in ENCODINGS if encoding in accepted), None)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` (the weak comparison RFC 9110 asks for on GET)."""
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == f'"{etag}"' for tag in if_none_match.split(","))


def add_vary(response: Response, name: str) -> None:
    """Add ``name`` to ``Vary`` without Werkzeug's re-parsing ``response.vary``."""
    current = response.headers.get("Vary")
    response.headers["Vary"] = f"{current}, {name}" if current else name


def etag_of(*parts: bytes | str) -> str:
    """A short hash of what a response depends on."""
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def public_response(
    body: bytes,
    mimetype: str,
    max_age: int,
    etag: str | None = None,
    extra_headers: dict | None = None,
) -> Response:
    """``body`` as a public, revalidatable response: 304 when the browser already has this ETag,
    else the body compressed as the browser accepts. The ETag is weak, as the same one covers
    every encoding of the body; ``etag`` defaults to a hash of the body (pass one when the
    response also depends on its headers)."""
    etag = etag or etag_of(body)
    headers = [
        ("ETag", f'W/"{etag}"'),
        ("Cache-Control", f"public, max-age={max_age}"),
        ("Vary", "Accept-Encoding"),
        *(extra_headers or {}).items(),
    ]
    if etag_matches(request.headers.get("If-None-Match", ""), etag):
        return Response(status=304, headers=headers, mimetype=mimetype)
    encoding = accepted_encoding(request.headers.get("Accept-Encoding", ""))
    if encoding:
        body = _compressed.get(etag, encoding, body)
        headers.append(("Content-Encoding", encoding))
    # Built in one go: each later ``headers[...] =`` scans every header already set.
    return Response(body, headers=headers, mimetype=mimetype)


class PublicViewsKeepNoSession:
    """The app's session interface, wrapped so a public view's response never saves the session.

    Flask marks a response ``Vary: Cookie`` as soon as anything reads the session (Flask-Login
    does, after every request), which stops shared caches from keeping it. A view decorated
    with ``public`` gets neither that header nor a cookie; everything else is the wrapped
    interface's."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def open_session(self, app, request):
        """No cookie, no signature to check: a visitor's page view skips building the
        serializer (and gets what Flask's own interface would give it: a new, empty session)."""
        cookie = f"{self.inner.get_cookie_name(app)}="
        if app.secret_key and cookie not in request.environ.get("HTTP_COOKIE", ""):
            return self.inner.session_class()
        return self.inner.open_session(app, request)

    def save_session(self, app, session, response) -> None:
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if getattr(view, "support_public", False):
            return
        self.inner.save_session(app, session, response)


def public(view):
    """Mark a view whose answer is the same for everyone: its response never touches the
    session (no cookie, no ``Vary: Cookie``), so shared caches may keep it."""
    view.support_public = True
    return view
