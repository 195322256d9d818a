"""Guarantee 7 for the events a visitor sends besides messages (which have their own limit):
a flood costs the server a bounded amount of work and makes a bounded number of broadcasts.

- ``conversation:get``, ``sync``, ``messages:read``, ``visitor:update`` and
  ``conversation:rate`` each have a budget per visitor (``LIMIT_VISITOR_EVENTS`` of each kind,
  shared by every process through the rate-limit storage), so a busy widget never runs short
  of one kind because of another; past it the event is answered ``rate_limited`` without
  touching the database. Callers validate the payload first, so an invalid one never counts.
- ``typing`` is coalesced: only a change of the visitor's typing state is announced, and at most
  a few times a second; repeats cost no database work at all.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from ..ratelimit import limiter
from .errors import RateLimited

TYPING_MIN_INTERVAL = 0.25  # seconds between two typing announcements of one visitor
TYPING_REMEMBERED = 50_000  # visitors whose last typing state this process keeps


def spend_event(visitor_id: str, event: str) -> None:
    """Count one ``event`` of ``visitor_id``; ``RateLimited`` once that budget is spent."""
    if not limiter.allow("visitor_events", f"{visitor_id}:{event}"):
        raise RateLimited("too many events from this visitor; slow down")


class TypingCoalescer:
    """Remembers, per visitor, the typing state last announced and when (in this process; a
    visitor's sockets normally live on one process, and each process is bounded anyway)."""

    def __init__(self) -> None:
        self._announced: OrderedDict[str, tuple[bool, float]] = OrderedDict()
        self._lock = threading.Lock()

    def worth_announcing(self, visitor_id: str, typing: bool) -> bool:
        """True when ``typing`` changes what agents were last told and the previous
        announcement is old enough; the caller then announces it."""
        now = time.monotonic()
        with self._lock:
            last = self._announced.get(visitor_id)
            if last is not None and (last[0] == typing or now - last[1] < TYPING_MIN_INTERVAL):
                return False
            self._announced[visitor_id] = (typing, now)
            self._announced.move_to_end(visitor_id)
            while len(self._announced) > TYPING_REMEMBERED:
                self._announced.popitem(last=False)
            return True


typing_coalescer = TypingCoalescer()
