"""Business hours over time: when the hours open or close, widgets that hold a socket hear
``availability`` (those without one poll the config). Presence changes announce it too, and
``realtime`` applies the hours to every such announcement."""

from __future__ import annotations

import logging
from datetime import datetime

from .. import events
from ..extensions import db
from . import settings
from .presence import presence

log = logging.getLogger(__name__)


class HoursWatch:
    """Remembers whether the hours allowed chat at the last look."""

    def __init__(self) -> None:
        self.was_open: bool | None = None

    def check(self, now: datetime | None = None) -> bool:
        """Look once; announce availability when the hours opened or closed since the last
        look (never on the first). True when it announced."""
        is_open = settings.within_business_hours(settings.widget_settings()["hours"], now)
        changed = self.was_open is not None and is_open != self.was_open
        self.was_open = is_open
        if changed:
            events.announce(events.Availability(agents_online=presence.anyone_online()))
        return changed


def watch_forever(app, sleep, interval: float) -> None:
    """Check every ``interval`` seconds while the server runs (``sleep`` is the server's own)."""
    watch = HoursWatch()
    while True:
        with app.app_context():
            try:
                watch.check()
            except Exception:
                log.exception("business hours check failed")
            finally:
                db.session.remove()
        sleep(interval)
