"""Automatic retention: closed conversations older than the admins' setting are purged while
the server runs, by the same rule as ``support purge --older-than DAYS``."""

from __future__ import annotations

import logging

from ..extensions import db
from . import attachments, settings, transcripts

log = logging.getLogger(__name__)


def retention_days() -> int | None:
    """The configured retention in days, or None when conversations are kept for ever."""
    days = settings.widget_settings().get("retention_days")
    return days if isinstance(days, int) and not isinstance(days, bool) and days > 0 else None


def purge_expired() -> int | None:
    """Purge once by the current setting; how many conversations went, or None when no
    retention is set."""
    days = retention_days()
    if days is None:
        return None
    count = transcripts.purge_closed(days)
    if count:
        log.info("retention: purged %d conversations closed more than %d days ago", count, days)
    return count


def run_forever(app, sleep, interval: float) -> None:
    """Purge every ``interval`` seconds until the process ends; ``sleep`` is the server's own
    (``socketio.sleep``), so this cooperates with eventlet. A failed round is logged and the
    next one tries again."""
    while True:
        with app.app_context():
            try:
                purge_expired()
                attachments.delete_stale_unsent()
            except Exception:
                log.exception("retention purge failed")
            finally:
                db.session.remove()
        sleep(interval)
