"""Public responses that a browser, a proxy or a CDN may keep: the widget's frame and config.

Every page view of a site that embeds the widget asks for them, so they are answered with an
ETag (a repeat view gets ``304 Not Modified`` and no body), a short ``max-age``, a body
compressed per ``Accept-Encoding`` (each body compressed once, then kept), and never a cookie
or ``Vary: Cookie``: the session is neither read nor saved for these views (see
``PublicSessionInterface``).
"""

from __future__ import annotations

import gzip
import hashlib
import threading

import brotli
from flask import Response, request

MAX_KEPT_BODIES = 64  # compressed bodies kept (a few configs and frames, in every encoding)
ENCODINGS = ("br", "gzip")  # the server's preference when a browser accepts both


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


def _accepted_encoding() -> str | None:
    accepted = request.accept_encodings
    for encoding in ENCODINGS:
        if accepted[encoding]:
            return encoding
    return None


def etag_of(*parts: bytes | str) -> str:
    """A short hash of what a response depends on."""
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def public_response(
    body: bytes, mimetype: str, max_age: int, etag: str | None = None, headers: dict | None = None
) -> Response:
    """``body`` as a public, revalidatable response: 304 when the browser already has this ETag,
    else the body compressed as the browser accepts. The ETag is weak, as the same one covers
    every encoding of the body; ``etag`` defaults to a hash of the body (pass one when the
    response also depends on its headers)."""
    etag = etag or etag_of(body)
    response = Response(mimetype=mimetype)
    response.set_etag(etag, weak=True)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.vary.add("Accept-Encoding")
    response.headers.update(headers or {})
    if request.if_none_match.contains_weak(etag):
        response.status_code = 304
        return response
    encoding = _accepted_encoding()
    if encoding:
        response.set_data(_compressed.get(etag, encoding, body))
        response.headers["Content-Encoding"] = encoding
    else:
        response.set_data(body)
    return response


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
