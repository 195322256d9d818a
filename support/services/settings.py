"""The widget's settings: its contact panel, chat texts and embedding policy.

Stored as one JSON document; missing keys fall back to the defaults, which reproduce the contact
panel this project started from."""

from __future__ import annotations

import copy

from ..extensions import db
from ..models import Setting, utcnow

WIDGET_KEY = "widget"

DEFAULT_WIDGET = {
    "brand": {"name": "Tech Souls", "tagline": "Tech Souls, Connected.", "color": "#1f6feb"},
    "contact": {
        "phone": "+1 202 555 0180",
        "email": "hello@techsouls.example",
        "intro": (
            "Have a question, comment, or concern? Our dedicated team of experts is ready to "
            "hear and assist you. Reach us through our social media, phone, or live chat."
        ),
        "socials": [
            {"network": "facebook", "url": "https://www.facebook.com/techsouls", "label": "Facebook"},
            {"network": "x", "url": "https://x.com/techsouls", "label": "X"},
            {"network": "linkedin", "url": "https://www.linkedin.com/company/techsouls", "label": "LinkedIn"},
            {"network": "instagram", "url": "https://www.instagram.com/techsouls", "label": "Instagram"},
        ],
    },
    "chat": {
        "greeting": "Hi there! How can we help you today?",
        "offline_message": (
            "We're away right now. Leave a message and your email, and we'll reply as soon as we can."
        ),
        "prechat_fields": [],
    },
    "layout": {"position": "right"},
    "hours": {"enabled": False, "timezone": "UTC", "days": {}},
    "allowed_origins": None,
    "retention_days": None,
}


def _merge(defaults: dict, stored: dict) -> dict:
    """Stored values over defaults, key by key for nested sections."""
    merged = copy.deepcopy(defaults)
    for key, value in (stored or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def widget_settings() -> dict:
    """The full widget settings document."""
    row = db.session.get(Setting, WIDGET_KEY)
    return _merge(DEFAULT_WIDGET, row.value if row else {})


def save_widget_settings(values: dict) -> dict:
    """Replace the stored settings with ``values`` (already validated by the caller)."""
    row = db.session.get(Setting, WIDGET_KEY)
    if row is None:
        row = Setting(key=WIDGET_KEY, value={})
        db.session.add(row)
    row.value = copy.deepcopy(values)
    row.updated_at = utcnow()
    db.session.commit()
    return widget_settings()


def allowed_origins(default: str) -> list[str] | None:
    """The origins allowed to embed the widget; None means any. ``default`` is
    ``SUPPORT_ALLOWED_ORIGINS``, used until an admin sets a list."""
    stored = widget_settings().get("allowed_origins")
    raw = stored if stored is not None else default
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",")]
    origins = [o.rstrip("/") for o in raw or [] if o]
    return None if not origins or "*" in origins else origins


def public_widget_config(online: bool) -> dict:
    """What ``GET /api/widget/config`` answers (PROTOCOL §3), plus layout and hours."""
    settings = widget_settings()
    return {
        "brand": settings["brand"],
        "contact": settings["contact"],
        "chat": {
            "online": online,
            "greeting": settings["chat"]["greeting"],
            "offline_message": settings["chat"]["offline_message"],
            "prechat_fields": settings["chat"].get("prechat_fields", []),
        },
        "layout": settings["layout"],
        "hours": settings["hours"],
    }
