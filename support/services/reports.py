"""Figures for the reports page: volume, response and resolution times, ratings, per agent.

Computed from a few columns of the conversations created in the period, read in one pass, so
the same code gives the same numbers on SQLite and PostgreSQL. Percentiles interpolate linearly
between the closest ranks (the usual spreadsheet ``PERCENTILE`` rule): the median of 1, 2, 3, 4
is 2.5."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..friendly_names import visitor_name
from ..models import Agent, AuditEvent, Conversation
from ..serializers import iso
from . import transcripts
from .errors import InvalidPayload
from .search import Search, iter_conversations

MAX_PERIOD_DAYS = 366


def percentile(values: list[float], p: float) -> float | None:
    """The ``p``-th percentile (0-100) of ``values``, linearly interpolated; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Figures:
    """The figures of one group of conversations (everyone, or one agent's)."""

    conversations: int = 0
    first_response: list[float] = field(default_factory=list)  # seconds
    resolution: list[float] = field(default_factory=list)  # seconds
    ratings: list[int] = field(default_factory=list)
    queue: list[float] = field(default_factory=list)  # seconds from start to assignment

    def add(
        self,
        created: datetime,
        first_response: datetime | None,
        closed: datetime | None,
        rating: int | None,
        assigned: datetime | None = None,
    ) -> None:
        self.conversations += 1
        if assigned is not None:
            self.queue.append(max(0.0, (assigned - created).total_seconds()))
        if first_response is not None:
            self.first_response.append((first_response - created).total_seconds())
        if closed is not None:
            self.resolution.append((closed - created).total_seconds())
        if rating is not None:
            self.ratings.append(rating)

    def summary(self) -> dict:
        ratings = self.ratings
        return {
            "conversations": self.conversations,
            "answered": len(self.first_response),
            "resolved": len(self.resolution),
            "first_response_median": percentile(self.first_response, 50),
            "first_response_p90": percentile(self.first_response, 90),
            "resolution_median": percentile(self.resolution, 50),
            "resolution_p90": percentile(self.resolution, 90),
            "rated": len(ratings),
            "rating_average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "rating_distribution": {str(star): ratings.count(star) for star in range(1, 6)},
            "assigned": len(self.queue),
            "queue_median": percentile(self.queue, 50),
            "queue_p90": percentile(self.queue, 90),
        }


def default_period(today: date) -> tuple[date, date]:
    """The last 30 days, today included."""
    return today - timedelta(days=29), today


def build_report(since: date, until: date) -> dict:
    """Figures for conversations created from ``since`` to ``until`` (inclusive dates, UTC)."""
    if until < since:
        raise InvalidPayload("the period must end on or after its start")
    if (until - since).days >= MAX_PERIOD_DAYS:
        raise InvalidPayload(f"a report covers at most {MAX_PERIOD_DAYS} days")
    start = datetime.combine(since, time.min)
    end = datetime.combine(until, time.max)
    rows = db.session.execute(
        select(
            Conversation.created_at,
            Conversation.first_response_at,
            Conversation.closed_at,
            Conversation.rating,
            Conversation.assignee_id,
            Conversation.assigned_at,
        ).where(Conversation.created_at >= start, Conversation.created_at <= end)
    )
    per_day = {since + timedelta(days=n): 0 for n in range((until - since).days + 1)}
    overall = Figures()
    by_agent: dict[str, Figures] = {}
    for created, first_response, closed, rating, assignee_id, assigned in rows:
        per_day[created.date()] = per_day.get(created.date(), 0) + 1
        figures = (created, first_response, closed, rating, assigned)
        overall.add(*figures)
        if assignee_id is not None:
            by_agent.setdefault(assignee_id, Figures()).add(*figures)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "per_day": [{"date": day.isoformat(), "conversations": n} for day, n in per_day.items()],
        "overall": overall.summary(),
        "agents": _agent_rows(by_agent),
    }


def _agent_rows(by_agent: dict[str, Figures]) -> list[dict]:
    query = select(Agent.id, Agent.name).where(Agent.id.in_(list(by_agent)))
    names = dict(db.session.execute(query).all())
    rows = [
        {"agent": {"id": agent_id, "name": names.get(agent_id, "?")}} | figures.summary()
        for agent_id, figures in by_agent.items()
    ]
    return sorted(rows, key=lambda row: (-row["conversations"], row["agent"]["name"]))


def format_duration(seconds: float | None) -> str:
    """``95`` → ``1m 35s``; ``None`` → ``–`` (for tables and chart labels)."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    hours, rest = divmod(seconds, 3600)
    if hours < 48:
        return f"{hours}h {rest // 60:02d}m"
    return f"{hours // 24}d {hours % 24}h"


# --- bulk exports ------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    "conversation_id",
    "conversation_created_at",
    "status",
    "visitor_name",
    "visitor_email",
    "assignee",
    "rating",
    *transcripts.CSV_COLUMNS,
]


def export_csv_rows(search: Search) -> Iterator[list]:
    """One row per message of every matching conversation, each led by its conversation's
    columns; no cell can start a spreadsheet formula."""
    yield EXPORT_COLUMNS
    for conversation in iter_conversations(search):
        visitor, assignee = conversation.visitor, conversation.assignee
        head = [
            conversation.id,
            iso(conversation.created_at),
            conversation.status,
            visitor_name(visitor),
            visitor.email,
            assignee.name if assignee else "",
            conversation.rating,
        ]
        head = [transcripts.csv_safe(cell) for cell in head]
        rows = transcripts.transcript_csv_rows(conversation)
        next(rows)  # the single transcript's header
        for row in rows:
            yield head + row


def export_stream(
    search: Search, fmt: str, agent: Agent | None = None
) -> tuple[Iterator[str], str]:
    """``(text chunks, mimetype)`` of the filtered set as CSV or a JSON array of transcripts:
    the same set the list shows ``agent``, who asks. ``assignee=me`` becomes that agent's id
    now, as the stream is read after the request's objects are gone."""
    if search.assignee == "me" and agent is not None:
        search = replace(search, assignee=agent.id)
    if fmt == "csv":
        return transcripts.csv_stream(export_csv_rows(search)), "text/csv; charset=utf-8"
    if fmt == "json":
        items = (transcripts.transcript_json(c) for c in iter_conversations(search))
        return transcripts.json_lines(items), "application/json"
    raise InvalidPayload("format must be csv or json")


# --- audit log ---------------------------------------------------------------------------------

AUDIT_PER_PAGE = 50


@dataclass
class AuditSearch:
    """The audit log's filters."""

    action: str | None = None
    actor: str | None = None  # an agent id
    since: date | None = None
    until: date | None = None
    page: int = 1
    per_page: int = AUDIT_PER_PAGE


MAX_AUDIT_PAGE = 1_000_000


def search_audit(search: AuditSearch) -> tuple[list[AuditEvent], int]:
    """A page of audit events, newest first, and how many match."""
    if not 1 <= search.page <= MAX_AUDIT_PAGE or not 1 <= search.per_page <= 200:
        raise InvalidPayload(f"page must be 1 to {MAX_AUDIT_PAGE} and per_page 1-200")
    conditions = []
    if search.action:
        conditions.append(AuditEvent.action == search.action)
    if search.actor:
        conditions.append(AuditEvent.actor_id == search.actor)
    if search.since:
        conditions.append(AuditEvent.created_at >= datetime.combine(search.since, time.min))
    if search.until and search.until < date.max:  # the last day has no day after it
        end = datetime.combine(search.until + timedelta(days=1), time.min)
        conditions.append(AuditEvent.created_at < end)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
    rows = db.session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.id.desc())
        .limit(search.per_page)
        .offset((search.page - 1) * search.per_page)
    )
    return list(rows), total or 0


def audit_actions() -> list[str]:
    """The actions that occur in the log, for the filter's choices."""
    query = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    return list(db.session.scalars(query))
