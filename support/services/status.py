"""The server's own health, for load balancers and monitors."""

from __future__ import annotations

from sqlalchemy import text

from ..extensions import db


def database_answers() -> bool:
    """True when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        db.session.rollback()
        return False
