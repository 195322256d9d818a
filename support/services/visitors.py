"""Visitors: created when someone first acts in the widget, identified by a signed token."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..friendly_names import friendly_name
from ..models import Visitor, by_id, new_id, utcnow
from .errors import NotFound

TOKEN_SALT = "support.visitor"  # noqa: S105 (a salt that separates token kinds, not a secret)

# Visitor fields a client may set, with their maximum length.
PROFILE_FIELDS = {
    "name": 100,
    "email": 254,
    "page_url": 2000,
    "referrer": 2000,
    "locale": 35,
    "timezone": 64,
}


def identity_hash_valid(email: str | None, given: str | None, secret: str | None) -> bool:
    """True when ``given`` is the site's HMAC-SHA256 (hex) of ``email`` under ``secret``."""
    if not (email and given and secret):
        return False
    message = email.encode("utf-8", "surrogatepass")
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    # Compared as bytes: ``compare_digest`` refuses non-ASCII str, and such a hash simply
    # does not verify. (``surrogatepass``: lone surrogates in JSON are not an error either.)
    given_bytes = given.strip().lower().encode("utf-8", "surrogatepass")
    return hmac.compare_digest(expected.encode(), given_bytes)


def issue_token(visitor: Visitor, secret_key: str) -> str:
    """The visitor's bearer token: its id, signed with the server's secret key."""
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT).dumps({"v": visitor.id})


def visitor_for_token(token, secret_key: str) -> Visitor | None:
    """The visitor a token names, or None when forged, malformed or erased."""
    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = URLSafeSerializer(secret_key, salt=TOKEN_SALT).loads(token)
    except BadSignature:
        return None
    visitor_id = data.get("v") if isinstance(data, dict) else None
    return by_id(Visitor, visitor_id)


def create_visitor(
    profile: dict, *, identity_secret: str | None, user_agent: str | None, ip_address: str | None
) -> Visitor:
    """Record a new visitor from the widget's (already validated) ``profile``."""
    visitor = Visitor(
        id=new_id(),
        user_agent=(user_agent or "")[:512] or None,
        ip_address=(ip_address or "")[:45] or None,
    )
    _apply_profile(visitor, profile, identity_secret)
    db.session.add(visitor)
    db.session.commit()
    return visitor


def update_visitor(visitor: Visitor, profile: dict, *, identity_secret: str | None) -> Visitor:
    """Change a visitor's own details; the verified mark follows the email and its hash."""
    _apply_profile(visitor, profile, identity_secret)
    visitor.last_seen_at = utcnow()
    db.session.commit()
    return visitor


def _apply_profile(visitor: Visitor, profile: dict, identity_secret: str | None) -> None:
    """Copy the given fields. A changed email drops verification unless its hash is valid."""
    email_changed = "email" in profile and profile["email"] != visitor.email
    for field in PROFILE_FIELDS:
        if field in profile:
            setattr(visitor, field, profile[field] or None)
    if "hash" in profile or email_changed:
        visitor.verified = identity_hash_valid(visitor.email, profile.get("hash"), identity_secret)
    if not visitor.name:
        visitor.name = friendly_name(visitor.id)


def touch(visitor: Visitor) -> None:
    """Note that the visitor is around (on connect)."""
    visitor.last_seen_at = utcnow()
    db.session.commit()


def visitor_by_id(visitor_id: str) -> Visitor | None:
    return by_id(Visitor, visitor_id)


def get_visitor(visitor_id: str) -> Visitor:
    """The visitor with this id, or ``NotFound``."""
    visitor = by_id(Visitor, visitor_id)
    if visitor is None:
        raise NotFound("no such visitor")
    return visitor
