"""Which web origins may use the widget (PROTOCOL §1): the one rule, asked by the widget's
HTTP API (CORS and new visitors), the ``/visitor`` socket, the ``/agent`` socket (its own
origin only) and the frame's embedding policy.

An origin passes when it is this server's own, or when it is on the allowed list: the admin's
list in the widget settings, else ``SUPPORT_ALLOWED_ORIGINS``; no list (``*``) allows any."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import current_app, request

from .services import settings


def allowed_origins(*, snapshot: bool = False) -> list[str] | None:
    """The allowed list, or None when any site may embed the widget. ``snapshot`` for what
    every page view asks (see ``settings.widget_settings_snapshot``)."""
    return settings.allowed_origins(current_app.config["ALLOWED_ORIGINS"], snapshot=snapshot)


def _clean(origin: str) -> str:
    return origin.strip().rstrip("/")


def is_own(origin: str) -> bool:
    """The origin of this server itself, as the request reached it."""
    return is_own_for(origin, request.host)


def is_own_for(origin: str, host: str) -> bool:
    """``origin`` is the server's own, reached as ``host`` (the request's ``Host``)."""
    return urlsplit(_clean(origin)).netloc == host


def only_own(origins: Iterable[str]) -> bool:
    """True when every origin is this server's own (none at all passes too)."""
    return all(is_own(origin) for origin in origins)


def all_allowed(origins: Iterable[str], *, snapshot: bool = False) -> bool:
    """True when every origin may use the widget (none at all passes too)."""
    allowed = allowed_origins(snapshot=snapshot)
    if allowed is None:
        return True
    host = request.host
    return all(passes(origin, allowed, host) for origin in origins)


def passes(origin: str, allowed: list[str] | None, host: str) -> bool:
    """The rule itself, for a request that reached this server as ``host``."""
    return allowed is None or is_own_for(origin, host) or _clean(origin) in allowed


def origin_allowed(origin: str, *, snapshot: bool = False) -> bool:
    """One origin (a request's ``Origin`` header) may use the widget."""
    return all_allowed([origin], snapshot=snapshot)
