"""Admin form parsing: HTML form fields to the documents the services validate, and back.

Validation itself lives in the services, shared with the REST API; this only reshapes."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from ..services.settings import PRECHAT_FIELDS, WEEKDAYS

DAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def _socials(form: MultiDict) -> list[dict]:
    """The social-link rows in page order (the order the admin arranged); blank rows dropped."""
    rows = zip(
        form.getlist("social_network"),
        form.getlist("social_url"),
        form.getlist("social_label"),
        strict=False,
    )
    return [
        {"network": network.strip().lower(), "url": url.strip(), "label": label.strip()}
        for network, url, label in rows
        if network.strip() or url.strip() or label.strip()
    ]


def _prechat(form: MultiDict) -> list[dict]:
    return [
        {"name": name, "required": bool(form.get(f"prechat_{name}_required"))}
        for name in PRECHAT_FIELDS
        if form.get(f"prechat_{name}")
    ]


def _hours(form: MultiDict) -> dict:
    days = {}
    for day in WEEKDAYS:
        start = form.get(f"hours_{day}_open", "").strip()
        end = form.get(f"hours_{day}_close", "").strip()
        if start or end:
            days[day] = {"open": start, "close": end}
    return {
        "enabled": bool(form.get("hours_enabled")),
        "timezone": form.get("hours_timezone", "").strip(),
        "days": days,
    }


def settings_from_form(form: MultiDict) -> dict:
    """The settings form as a settings document (unvalidated)."""
    origins = [line.strip() for line in form.get("allowed_origins", "").splitlines()]
    return {
        "brand": {
            "name": form.get("brand_name", ""),
            "tagline": form.get("brand_tagline", ""),
            "color": form.get("brand_color", ""),
        },
        "layout": {"position": form.get("layout_position", "right")},
        "contact": {
            "intro": form.get("contact_intro", ""),
            "phone": form.get("contact_phone", ""),
            "email": form.get("contact_email", ""),
            "socials": _socials(form),
        },
        "chat": {
            "greeting": form.get("chat_greeting", ""),
            "offline_message": form.get("chat_offline_message", ""),
            "prechat_fields": _prechat(form),
        },
        "hours": _hours(form),
        "allowed_origins": [origin for origin in origins if origin] or None,
        "retention_days": form.get("retention_days", "").strip() or None,
    }


def prechat_state(values: dict) -> dict:
    """``{"name": {"asked": bool, "required": bool}, ...}`` for the form's checkboxes."""
    chosen = {
        f.get("name"): f for f in values["chat"].get("prechat_fields") or [] if isinstance(f, dict)
    }
    return {
        name: {"asked": name in chosen, "required": bool(chosen.get(name, {}).get("required"))}
        for name in PRECHAT_FIELDS
    }


def form_bool(form: MultiDict, name: str) -> bool:
    return form.get(name) in ("1", "on", "true", "yes")
