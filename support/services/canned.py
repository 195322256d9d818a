"""Canned responses: saved replies that agents insert by shortcut."""

from __future__ import annotations

import re

from sqlalchemy import select

from ..extensions import db
from ..models import CannedResponse, by_id
from .audit import Actor, write
from .errors import Conflict, InvalidPayload, NotFound

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def list_responses() -> list[CannedResponse]:
    return list(db.session.scalars(select(CannedResponse).order_by(CannedResponse.shortcut)))


def get_response(response_id: str) -> CannedResponse:
    row = by_id(CannedResponse, response_id)
    if row is None:
        raise NotFound("no such canned response")
    return row


def _validate(shortcut: str, title: str, body: str, *, exclude_id: str | None = None) -> None:
    if not SHORTCUT.match(shortcut or ""):
        raise InvalidPayload("shortcut: 1-40 lowercase letters, digits, - or _")
    if not (title or "").strip() or len(title) > 100:
        raise InvalidPayload("title: 1-100 characters")
    if not (body or "").strip() or len(body) > 4000:
        raise InvalidPayload("body: 1-4000 characters")
    clash = db.session.scalar(select(CannedResponse).where(CannedResponse.shortcut == shortcut))
    if clash is not None and clash.id != exclude_id:
        raise Conflict(f"the shortcut /{shortcut} is taken")


def create_response(
    shortcut: str, title: str, body: str, *, actor: Actor | None = None
) -> CannedResponse:
    """Save a new reply under ``/shortcut``, audited with ``actor`` (None: not audited)."""
    _validate(shortcut, title, body)
    row = CannedResponse(shortcut=shortcut, title=title.strip(), body=body)
    db.session.add(row)
    write(actor, "canned_created", f"/{row.shortcut}")
    db.session.commit()
    return row


def update_response(
    row: CannedResponse, shortcut: str, title: str, body: str, *, actor: Actor | None = None
) -> CannedResponse:
    """Change a reply (its shortcut too, if no other reply has the new one)."""
    _validate(shortcut, title, body, exclude_id=row.id)
    row.shortcut, row.title, row.body = shortcut, title.strip(), body
    write(actor, "canned_updated", f"/{row.shortcut}")
    db.session.commit()
    return row


def delete_response(row: CannedResponse, *, actor: Actor | None = None) -> None:
    """Remove a reply."""
    write(actor, "canned_deleted", f"/{row.shortcut}")
    db.session.delete(row)
    db.session.commit()
