"""The widget's settings: its contact panel, chat texts and embedding policy.

Stored as one JSON document; missing keys fall back to the defaults, which reproduce the contact
panel this project started from."""

from __future__ import annotations

import copy
import re
import time
import weakref
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .. import events
from ..extensions import db
from ..models import Setting, utcnow
from .audit import Actor, write
from .errors import InvalidPayload

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
            {
                "network": "facebook",
                "url": "https://www.facebook.com/techsouls",
                "label": "Facebook",
            },
            {"network": "x", "url": "https://x.com/techsouls", "label": "X"},
            {
                "network": "linkedin",
                "url": "https://www.linkedin.com/company/techsouls",
                "label": "LinkedIn",
            },
            {
                "network": "instagram",
                "url": "https://www.instagram.com/techsouls",
                "label": "Instagram",
            },
        ],
    },
    "chat": {
        "greeting": "Hi there! How can we help you today?",
        "offline_message": (
            "We're away right now. Leave a message and your email, "
            "and we'll reply as soon as we can."
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


def save_widget_settings(values: dict, *, online: bool = False, actor: Actor | None = None) -> dict:
    """Replace the stored settings with ``values`` (already validated by the caller) and
    announce the new public config, so widgets that are open pick it up without a reload."""
    row = db.session.get(Setting, WIDGET_KEY)
    if row is None:
        row = Setting(key=WIDGET_KEY, value={})
        db.session.add(row)
    row.value = copy.deepcopy(values)
    row.updated_at = utcnow()
    merged = _merge(DEFAULT_WIDGET, values)
    events.record(db.session, events.SettingsChanged(public_config_of(merged, online)))
    write(actor, "settings_changed", "widget", {"brand": merged["brand"]["name"]})
    db.session.commit()
    _snapshots.pop(db.engine, None)
    return widget_settings()


SNAPSHOT_SECONDS = 1.0
_snapshots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (time, settings)


def widget_settings_snapshot() -> dict:
    """The settings as read at most ``SNAPSHOT_SECONDS`` ago, for what every page view asks
    (the widget's config, its frame's embedding policy): one query a second instead of one per
    request. The process that saves new settings sees them at once, others within a second.
    Callers must not change the returned document."""
    engine = db.engine
    value = fresh_widget_settings(engine)
    if value is None:
        value = widget_settings()
        _snapshots[engine] = (time.monotonic(), value)
    return value


def fresh_widget_settings(engine) -> dict | None:
    """``engine``'s snapshot when it was read at most ``SNAPSHOT_SECONDS`` ago, else None.
    Needs neither a query nor an app context, so it serves the page views answered before
    Flask (``http_cache.PublicAnswers``); a stale snapshot is read again by Flask's views."""
    read_at, value = _snapshots.get(engine, (0.0, None))
    if value is None or time.monotonic() - read_at > SNAPSHOT_SECONDS:
        return None
    return value


def allowed_origins(default: str, *, snapshot: bool = False) -> list[str] | None:
    """The origins allowed to embed the widget; None means any. ``default`` is
    ``SUPPORT_ALLOWED_ORIGINS``, used until an admin sets a list. ``snapshot``: from
    ``widget_settings_snapshot`` (public page-view paths)."""
    document = widget_settings_snapshot() if snapshot else widget_settings()
    return allowed_origins_of(document, default)


def allowed_origins_of(document: dict, default: str) -> list[str] | None:
    """``allowed_origins`` of a settings document already read."""
    stored = document.get("allowed_origins")
    raw = stored if stored is not None else default
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",")]
    origins = [str(o).strip().rstrip("/") for o in raw or [] if o]
    if not origins or "*" in origins:
        return None
    # Only plain origins, whatever was stored before they were validated strictly.
    return [o for o in origins if is_plain_origin(o)]


def public_widget_config(online: bool, *, snapshot: bool = False) -> dict:
    """What ``GET /api/widget/config`` answers (PROTOCOL §3), plus layout and hours.
    ``snapshot``: from ``widget_settings_snapshot`` (the page-view path)."""
    return public_config_of(widget_settings_snapshot() if snapshot else widget_settings(), online)


def public_config_of(settings: dict, agents_online: bool) -> dict:
    """The public config; chat is online while an agent is and business hours allow."""
    online = chat_online(agents_online, settings["hours"])
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


# --- validation --------------------------------------------------------------------------------
# One checker for the admin form and the REST API: bad input gets a message per field and
# changes nothing.

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRECHAT_FIELDS = {"name": "Your name", "email": "Your email"}
POSITIONS = ("left", "right")
MAX_SOCIALS = 12
MAX_ORIGINS = 50
MAX_RETENTION_DAYS = 3650
TEXT_LIMITS = {  # (section, field) -> (required, max length)
    ("brand", "name"): (True, 60),
    ("brand", "tagline"): (False, 100),
    ("contact", "intro"): (False, 600),
    ("chat", "greeting"): (False, 500),
    ("chat", "offline_message"): (False, 500),
}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]{3,30}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_NETWORK = re.compile(r"^[a-z0-9][a-z0-9-]{0,29}$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class SettingsInvalid(InvalidPayload):
    """Widget settings that did not pass; ``errors`` maps a field path to its message."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1]}" + (" (and more)" if len(errors) > 1 else ""))
        self.errors = errors


def _text(value, path: str, errors: dict, required: bool, limit: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[path] = "must be text"
        return ""
    value = value.strip()
    if required and not value:
        errors[path] = "is required"
    elif len(value) > limit:
        errors[path] = f"must be at most {limit} characters"
    return value


def valid_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host: no ``javascript:``, ``data:`` or relative links."""
    if not isinstance(url, str) or len(url) > 500 or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _clean_socials(raw, errors: dict) -> list[dict]:
    if not isinstance(raw, list):
        errors["contact.socials"] = "must be a list"
        return []
    if len(raw) > MAX_SOCIALS:
        errors["contact.socials"] = f"at most {MAX_SOCIALS} links"
    socials = []
    for index, item in enumerate(raw[:MAX_SOCIALS]):
        path = f"contact.socials.{index}"
        item = item if isinstance(item, dict) else {}
        network = str(item.get("network") or "").strip().lower()
        url = str(item.get("url") or "").strip()
        label = str(item.get("label") or "").strip() or network.capitalize()
        if not _NETWORK.match(network):
            errors[f"{path}.network"] = "must be a short name such as facebook or x"
        if not valid_web_url(url):
            errors[f"{path}.url"] = "must be a full http:// or https:// address"
        if len(label) > 40:
            errors[f"{path}.label"] = "must be at most 40 characters"
        socials.append({"network": network, "url": url, "label": label})
    return socials


def _clean_contact(raw: dict, errors: dict) -> dict:
    phone = _text(raw.get("phone"), "contact.phone", errors, False, 30)
    if (
        phone
        and "contact.phone" not in errors
        and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 3)
    ):
        errors["contact.phone"] = "may hold digits, spaces, + ( ) . and - only"
    email = _text(raw.get("email"), "contact.email", errors, False, 254)
    if email and not _EMAIL.match(email):
        errors["contact.email"] = "must be an email address"
    return {
        "phone": phone,
        "email": email,
        "intro": _text(
            raw.get("intro"), "contact.intro", errors, *TEXT_LIMITS[("contact", "intro")]
        ),
        "socials": _clean_socials(raw.get("socials", []), errors),
    }


def _clean_prechat(raw, errors: dict) -> list[dict]:
    if not isinstance(raw, list):
        errors["chat.prechat_fields"] = "must be a list"
        return []
    fields, seen = [], set()
    for item in raw:
        item = item if isinstance(item, dict) else {"name": item}
        name = item.get("name")
        if not isinstance(name, str) or name not in PRECHAT_FIELDS or name in seen:
            errors["chat.prechat_fields"] = "may ask for name and email, once each"
            continue
        seen.add(name)
        label = str(item.get("label") or PRECHAT_FIELDS[name]).strip()[:60]
        fields.append({"name": name, "label": label, "required": bool(item.get("required"))})
    return fields


def valid_timezone(name) -> bool:
    """An IANA time zone name that ``zoneinfo`` knows."""
    if not isinstance(name, str) or not name or name not in available_timezones() | {"UTC"}:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _clean_hours(raw, errors: dict) -> dict:
    raw = raw if isinstance(raw, dict) else {}
    timezone = str(raw.get("timezone") or "UTC").strip()
    if not valid_timezone(timezone):
        errors["hours.timezone"] = "must be a time zone such as Europe/Paris or America/New_York"
    days = {}
    raw_days = raw.get("days") if isinstance(raw.get("days"), dict) else {}
    for day, span in raw_days.items():
        if day not in WEEKDAYS:
            errors["hours.days"] = "days are mon, tue, wed, thu, fri, sat and sun"
            continue
        span = span if isinstance(span, dict) else {}
        start, end = span.get("open"), span.get("close")
        if not (isinstance(start, str) and _CLOCK.match(start)) or not (
            isinstance(end, str) and _CLOCK.match(end)
        ):
            errors[f"hours.days.{day}"] = "opening and closing times are HH:MM"
        elif start >= end:
            errors[f"hours.days.{day}"] = "must close after it opens"
        days[day] = {"open": start, "close": end}
    return {"enabled": bool(raw.get("enabled")), "timezone": timezone, "days": days}


def _clean_origins(raw, errors: dict) -> list[str] | None:
    if raw is None or raw == "" or raw == []:
        return None
    if isinstance(raw, str):
        raw = [part for part in re.split(r"[\s,]+", raw) if part]
    if not isinstance(raw, list) or len(raw) > MAX_ORIGINS:
        errors["allowed_origins"] = f"must be a list of at most {MAX_ORIGINS} origins"
        return None
    origins = []
    for origin in raw:
        origin = str(origin).strip().rstrip("/")
        if origin != "*" and not is_plain_origin(origin):
            shown = repr(origin[:100])
            errors["allowed_origins"] = f"{shown} is not an origin like https://www.example.com"
        origins.append(origin)
    return origins or None


# ``http(s)://host[:port]`` and nothing else: a DNS name, an IPv4 address or a bracketed IPv6
# address, then an optional port. These values go into the frame's Content-Security-Policy, so
# anything else (a ``;``, a space, CR/LF, a path) could inject a directive or break the header.
_PLAIN_ORIGIN = re.compile(
    r"https?://"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)


def is_plain_origin(origin) -> bool:
    """True for exactly ``http(s)://host[:port]`` with a port from 1 to 65535."""
    match = _PLAIN_ORIGIN.fullmatch(origin) if isinstance(origin, str) else None
    return match is not None and (match["port"] is None or 1 <= int(match["port"]) <= 65535)


def _clean_retention(raw, errors: dict) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = -1
    if isinstance(raw, bool) or not 1 <= days <= MAX_RETENTION_DAYS:
        errors["retention_days"] = f"must be a whole number of days from 1 to {MAX_RETENTION_DAYS}"
        return None
    return days


def validate_widget_settings(raw: dict) -> dict:
    """A clean settings document from ``raw`` (shaped like :data:`DEFAULT_WIDGET`), or
    :class:`SettingsInvalid` listing every problem."""
    if not isinstance(raw, dict):
        raise SettingsInvalid({"settings": "must be an object"})
    errors: dict[str, str] = {}
    section: dict[str, dict] = {
        key: raw[key] if isinstance(raw.get(key), dict) else {} for key in DEFAULT_WIDGET
    }
    texts = {
        path: _text(section[path[0]].get(path[1]), ".".join(path), errors, *limits)
        for path, limits in TEXT_LIMITS.items()
    }
    color = str(section["brand"].get("color") or "").strip().lower()
    if not _COLOR.match(color):
        errors["brand.color"] = "must be a colour like #1f6feb"
    position = section["layout"].get("position") or "right"
    if position not in POSITIONS:
        errors["layout.position"] = "must be left or right"
    clean = {
        "brand": {
            "name": texts[("brand", "name")],
            "tagline": texts[("brand", "tagline")],
            "color": color,
        },
        "contact": _clean_contact(section["contact"], errors),
        "chat": {
            "greeting": texts[("chat", "greeting")],
            "offline_message": texts[("chat", "offline_message")],
            "prechat_fields": _clean_prechat(section["chat"].get("prechat_fields", []), errors),
        },
        "layout": {"position": position},
        "hours": _clean_hours(raw.get("hours"), errors),
        "allowed_origins": _clean_origins(raw.get("allowed_origins"), errors),
        "retention_days": _clean_retention(raw.get("retention_days"), errors),
    }
    if errors:
        raise SettingsInvalid(errors)
    return clean


def update_widget_settings(
    changes: dict, *, online: bool = False, actor: Actor | None = None
) -> dict:
    """Apply ``changes`` over the current settings (sections merge, lists replace), validate
    the whole, save it, audit it with ``actor`` and announce it. Nothing is saved when anything
    is wrong."""
    if not isinstance(changes, dict):
        raise SettingsInvalid({"settings": "must be an object"})
    clean = validate_widget_settings(_merge(widget_settings(), changes))
    return save_widget_settings(clean, online=online, actor=actor)


# --- business hours ----------------------------------------------------------------------------


def within_business_hours(hours: dict, now: datetime | None = None) -> bool:
    """True unless business hours are enabled and ``now`` (UTC by default) falls outside them,
    read on the clock of the hours' own time zone. A day without hours is closed."""
    if not hours.get("enabled"):
        return True
    try:
        zone = ZoneInfo(hours.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = (now or datetime.now(UTC)).astimezone(zone)
    span = (hours.get("days") or {}).get(WEEKDAYS[local.weekday()])
    if not span:
        return False
    clock = local.strftime("%H:%M")
    # Closing at 23:59 means open to midnight (there is no 24:00 to write).
    return span["open"] <= clock and (clock < span["close"] or span["close"] == "23:59")


def chat_online(agents_online: bool, hours: dict) -> bool:
    """The one rule for live chat (PROTOCOL §3): on while an agent is online and ``hours``
    allow. The widget's ``chat.online`` says it (the config, and ``realtime``'s
    ``availability`` event); a conversation opened without it is marked offline
    (``services.messages``)."""
    return agents_online and within_business_hours(hours)


# --- routing -----------------------------------------------------------------------------------

ROUTING_KEY = "routing"
DEFAULT_ROUTING = {
    "mode": "manual",
    "capacity": 5,
    "claim_on_reply": True,
    "requeue_after_minutes": None,
}
ROUTING_MODES = ("manual", "auto")
MAX_CAPACITY = 1000
MAX_REQUEUE_MINUTES = 10080


def routing_settings() -> dict:
    """How conversations reach agents: ``mode`` (manual: agents claim; auto: each new one goes
    to the least busy online agent), ``capacity`` (conversations one agent holds at most under
    auto), ``claim_on_reply`` (a first reply claims) and ``requeue_after_minutes`` (after how
    long away an agent's open conversations return to the queue; None: never)."""
    row = db.session.get(Setting, ROUTING_KEY)
    stored = row.value if row else {}
    return {key: stored.get(key, default) for key, default in DEFAULT_ROUTING.items()}


def _whole(value, low: int, high: int) -> str | None:
    """The error for a value that is not a whole number from ``low`` to ``high``, or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be a whole number"
    if not low <= value <= high:
        return f"must be from {low} to {high}"
    return None


def validate_routing(changes) -> dict:
    """The routing settings with ``changes`` applied, or :class:`SettingsInvalid` naming every
    bad field (an unknown field included)."""
    if not isinstance(changes, dict):
        raise SettingsInvalid({"routing": "must be an object"})
    errors = {key: "is not a routing setting" for key in changes if key not in DEFAULT_ROUTING}
    merged = routing_settings() | {k: v for k, v in changes.items() if k in DEFAULT_ROUTING}
    if merged["mode"] not in ROUTING_MODES:
        errors["mode"] = "must be manual or auto"
    if problem := _whole(merged["capacity"], 1, MAX_CAPACITY):
        errors["capacity"] = problem
    if not isinstance(merged["claim_on_reply"], bool):
        errors["claim_on_reply"] = "must be true or false"
    minutes = merged["requeue_after_minutes"]
    if minutes is not None and (problem := _whole(minutes, 1, MAX_REQUEUE_MINUTES)):
        errors["requeue_after_minutes"] = "must be empty or " + problem.removeprefix("must be ")
    if errors:
        raise SettingsInvalid(errors)
    return merged


def update_routing(changes, *, actor: Actor | None = None) -> dict:
    """Validate, store and audit routing settings; nothing is saved when anything is wrong.
    ``routing.save_settings`` also routes what waits, as the new settings may allow."""
    clean = validate_routing(changes)
    row = db.session.get(Setting, ROUTING_KEY)
    if row is None:
        row = Setting(key=ROUTING_KEY, value={})
        db.session.add(row)
    row.value = clean
    row.updated_at = utcnow()
    write(actor, "settings_changed", "routing", dict(clean))
    db.session.commit()
    return routing_settings()
