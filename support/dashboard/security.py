"""Browser-facing hardening for the agents' pages: a strict Content-Security-Policy (no inline
script, nothing from other sites), no framing, and a session cookie marked Secure whenever the
request itself came over HTTPS."""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface


def content_security_policy() -> str:
    """Scripts, styles and connections from this server only. ``connect-src`` names the
    WebSocket URLs of our own host explicitly, for browsers whose ``'self'`` does not cover
    ``ws:``/``wss:``."""
    host = request.host
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self' ws://{host} wss://{host}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def apply_page_headers(response: Response) -> Response:
    """Headers for every HTML page agents and admins use (the admin blueprint may reuse this)."""
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        # Agents' pages show private conversations: keep them out of shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class RequestAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag following the request's scheme:
    set when the page came over HTTPS (behind a proxy, with ProxyFix), always when
    ``SESSION_COOKIE_SECURE`` is configured. Over plain HTTP (development) a Secure cookie
    would never come back, so it is left off there. SameSite defaults to Lax."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = str(app.config.get("SESSION_COOKIE_SECURE") or "").lower()
        return configured in ("1", "true", "yes", "on") or request.is_secure

    def get_cookie_samesite(self, app: Flask) -> str:
        """Lax unless configured otherwise (Flask's own default is none at all)."""
        return app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"


def init_session_cookie(app: Flask) -> None:
    """Swap in the request-aware session interface, unless the app already uses its own."""
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = RequestAwareSessionInterface()
