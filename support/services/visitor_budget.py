"""Guarantee 7 for the events a visitor sends besides messages (which have their own limit):
a flood costs the server a bounded amount of work and makes a bounded number of broadcasts.

- ``conversation:get``, ``sync``, ``messages:read``, ``visitor:update`` and
  ``conversation:rate`` each have a budget per visitor (``LIMIT_VISITOR_EVENTS`` of each kind,
  shared by every process through the rate-limit storage), so a busy widget never runs short
  of one kind because of another; past it the event is answered ``rate_limited`` without
  touching the database. Callers validate the payload first, so an invalid one never counts.
- ``typing`` is coalesced: only a change of the visitor's typing state is announced, at most
  five times a second; repeats cost no database work at all.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

from ..ratelimit import limiter
from .errors import RateLimited

TYPING_CHANGES_PER_SECOND = 5  # announcements of one visitor's typing state, at most
TYPING_REMEMBERED = 50_000  # visitors whose last typing state this process keeps


def spend_event(visitor_id: str, event: str) -> None:
    """Count one ``event`` of ``visitor_id``; ``RateLimited`` once that budget is spent."""
    if not limiter.allow("visitor_events", f"{visitor_id}:{event}"):
        raise RateLimited("too many events from this visitor; slow down")


class TypingCoalescer:
    """Remembers, per visitor, the typing state last announced and when the last few
    announcements were (in this process: a visitor's sockets normally live on one process, and
    each process is bounded anyway). A start quickly followed by a stop is both announced; only
    a flood of changes loses some, and the agents' indicator then times out by itself."""

    def __init__(self) -> None:
        self._announced: OrderedDict[str, tuple[bool, deque]] = OrderedDict()
        self._lock = threading.Lock()

    def worth_announcing(self, visitor_id: str, typing: bool) -> bool:
        """True when ``typing`` changes what agents were last told and fewer than
        ``TYPING_CHANGES_PER_SECOND`` announcements went out in the last second; the caller
        then announces it."""
        now = time.monotonic()
        with self._lock:
            last, times = self._announced.get(visitor_id, (None, deque()))
            while times and now - times[0] >= 1.0:
                times.popleft()
            if last == typing or len(times) >= TYPING_CHANGES_PER_SECOND:
                return False
            times.append(now)
            self._announced[visitor_id] = (typing, times)
            self._announced.move_to_end(visitor_id)
            while len(self._announced) > TYPING_REMEMBERED:
                self._announced.popitem(last=False)
            return True


typing_coalescer = TypingCoalescer()
