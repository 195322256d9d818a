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
from collections.abc import Callable, Iterable

import brotli
from flask import Response, request

# Every response gets these unless its view set them (``app.security_headers``).
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
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


# --- answered before Flask ----------------------------------------------------------------------

Answer = tuple[str, list[tuple[str, str]], bytes]  # WSGI status, headers, body


def public_answer(
    environ: dict,
    body: bytes,
    content_type: str,
    max_age: int,
    etag: str,
    extra_headers: Iterable[tuple[str, str]] = (),
    late_headers: Iterable[tuple[str, str]] = (),
    also_vary: str = "",
) -> Answer:
    """What ``public_response``, Werkzeug and the after-request hooks make of a GET, built
    without them: the same status, headers in the same order, and body. ``late_headers`` are
    those a blueprint's hook appends (CORS), which then adds ``also_vary`` to ``Vary``;
    ``content_type`` is as Werkzeug completes it (``; charset=utf-8`` for text). A 304 loses
    the body and its headers, as Werkzeug strips them."""
    headers = [
        ("ETag", f'W/"{etag}"'),
        ("Cache-Control", f"public, max-age={max_age}"),
        ("Vary", f"Accept-Encoding, {also_vary}" if also_vary else "Accept-Encoding"),
        *extra_headers,
    ]
    if etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), etag):
        status, body = "304 NOT MODIFIED", b""
    else:
        status = "200 OK"
        encoding = accepted_encoding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        if encoding:
            body = _compressed.get(etag, encoding, body)
            headers.append(("Content-Encoding", encoding))
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    headers += late_headers
    names = {name for name, _ in headers}
    headers += [header for header in SECURITY_HEADERS if header[0] not in names]
    return status, headers, body


class PublicAnswers:
    """WSGI middleware right in front of Flask (inside every other middleware): answers the
    public GETs every page view of an embedding site makes (the widget's config and frame)
    from what their views keep (body, ETag, compressed copies, the settings' snapshot), as
    WhiteNoise answers static files. Flask's request machinery and this app's extensions cost
    about 60 µs per request, more than these answers themselves (docs/performance.md).

    An answer function returns None when it cannot answer exactly as the view would (the
    settings' snapshot is stale and must be read again in an app context, the page is not
    rendered yet); the request then goes to Flask, as do other methods (HEAD, the CORS
    preflight), requests with cookies (an agent's session: Flask's hooks may read it) and all
    requests while ``TRUSTED_HOSTS`` is set (Flask refuses other hosts)."""

    def __init__(self, wsgi_app, config) -> None:
        self.wsgi_app, self.config = wsgi_app, config
        self.answers: dict[str, Callable[[dict], Answer | None]] = {}

    def add(self, path: str, answer: Callable[[dict], Answer | None]) -> None:
        self.answers[path] = answer

    def __call__(self, environ, start_response):
        answer_for = self.answers.get(environ.get("PATH_INFO", ""))
        if answer_for is not None and self._plain(environ):
            answer = self._answer(answer_for, environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _answer(answer_for, environ: dict) -> Answer | None:
        """A failure (the presence store unreachable, a broken setting) is left to Flask, which
        meets it again and answers and logs it as it does for every view."""
        try:
            return answer_for(environ)
        except Exception:
            return None

    def _plain(self, environ: dict) -> bool:
        return (
            environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_COOKIE" not in environ
            and self.config.get("TRUSTED_HOSTS") is None
        )
