"""Finding conversations: the filters of the transcript list and ``GET /api/v1/conversations``.

``q`` is literal and case-insensitive: every word must appear in the conversation's messages
(notes included) or in the visitor's name or email."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    and_,
    any_,
    bindparam,
    column,
    exists,
    false,
    func,
    intersect,
    literal,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from ..extensions import db
from ..models import Agent, Conversation, Message, Visitor
from .errors import InvalidPayload

TRIGRAM = 3
# The ids of the conversations whose messages, or whose visitor, match an FTS5 phrase
# (``:phrase`` is bound once and used twice).
MATCHING_CONVERSATIONS = (
    "SELECT m.conversation_id FROM messages AS m WHERE m.rowid IN "
    "(SELECT rowid FROM message_search WHERE message_search MATCH :phrase) "
    "UNION SELECT c.id FROM conversations AS c WHERE c.visitor_id IN "
    "(SELECT v.id FROM visitors AS v WHERE v.rowid IN "
    "(SELECT rowid FROM visitor_search WHERE visitor_search MATCH :phrase))"
)
# From this many matches on, a page is found by walking the conversations in the page's order
# (an index: created_at, or status and updated_at) and keeping the matching ones, about
# ``page × per_page × conversations / matches`` rows, instead of sorting every match.
WALK_FROM_MATCHES = 2_000
_parameter_numbers = itertools.count()

STATUSES = ("open", "closed")  # every status a conversation can have
MAX_PER_PAGE = 100
MAX_QUERY_WORDS = 10


@dataclass
class Search:
    """The filters of the transcript list and ``GET /api/v1/conversations``."""

    status: str | None = None
    assignee: str | None = None  # an agent id, "me" or "none"
    q: str | None = None
    since: date | None = None
    until: date | None = None
    rating: int | None = None
    verified: bool | None = None
    page: int = 1
    per_page: int = 20
    sort: str = "newest"


def _like_pattern(word: str) -> str:
    """A LIKE pattern that matches ``word`` literally (``%`` and ``_`` escaped)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(field, word: str):
    """``field`` contains ``word``, ignoring case, matched literally."""
    return func.lower(field).like(_like_pattern(word.lower()), escape="\\")


def _fts_matches(word: str):
    """An FTS5 trigram query: the quoted phrase matches as a literal, case-folded substring.
    Each word gets its own parameter name; the phrase is always a bound value."""
    name = f"phrase_{next(_parameter_numbers)}"
    phrase = '"' + word.replace('"', '""') + '"'
    statement = text(MATCHING_CONVERSATIONS.replace(":phrase", f":{name}"))
    return statement.bindparams(bindparam(name, phrase)).columns(column("conversation_id"))


def _uses_fts(word: str, indexed: bool) -> bool:
    return indexed and len(word) >= TRIGRAM and db.session.get_bind().dialect.name == "sqlite"


def _word_matches(word: str, *, indexed: bool = True):
    """The ids of the conversations where the word appears in a message or note, or in the
    visitor's name or email.

    Both databases answer this from trigram indexes, so the cost follows the matches, not the
    number of stored rows: SQLite's FTS5 ``trigram`` tables (migration 0004), PostgreSQL's
    ``pg_trgm`` indexes on ``lower(...)`` behind the plain ``LIKE``. Words under three
    characters, which no trigram can find, and ``indexed=False`` (the benchmark's baseline)
    scan with ``LIKE`` instead."""
    if _uses_fts(word, indexed):
        return _fts_matches(word).subquery().select()
    in_messages = select(Message.conversation_id).where(_contains(Message.body, word))
    in_visitors = (
        select(Conversation.id)
        .join(Visitor, Visitor.id == Conversation.visitor_id)
        .where(or_(_contains(Visitor.name, word), _contains(Visitor.email, word)))
    )
    return union(in_messages, in_visitors).subquery().select()


def _matching_ids(words: list[str], *, indexed: bool = True):
    """The ids of the conversations where every word appears: one set per word, intersected
    once, so a conversation is looked up only when it matches them all."""
    if len(words) > MAX_QUERY_WORDS:
        raise InvalidPayload(f"q may have at most {MAX_QUERY_WORDS} words")
    sets = [_word_matches(word, indexed=indexed) for word in words]
    return sets[0] if len(sets) == 1 else intersect(*sets).subquery().select()


def _assignee_condition(assignee: str | None, agent: Agent | None):
    if assignee == "none":
        return Conversation.assignee_id.is_(None)
    if assignee == "me":
        # Without an agent, "me" is nobody: never the unassigned conversations.
        return Conversation.assignee_id == agent.id if agent else false()
    return Conversation.assignee_id == assignee if assignee else None


def _date_conditions(since: date | None, until: date | None) -> list:
    """``since`` and ``until`` are inclusive days of ``created_at``."""
    conditions = []
    if since:
        conditions.append(Conversation.created_at >= datetime.combine(since, time.min))
    if until and until < date.max:
        end = datetime.combine(until + timedelta(days=1), time.min)
        conditions.append(Conversation.created_at < end)
    return conditions


def _conditions(search: Search, agent: Agent | None) -> list:
    """Every filter but ``q``."""
    conditions = []
    if search.status:
        if search.status not in STATUSES:
            raise InvalidPayload("status must be open or closed")
        conditions.append(Conversation.status == search.status)
    assignee = _assignee_condition(search.assignee, agent)
    if assignee is not None:
        conditions.append(assignee)
    conditions.extend(_date_conditions(search.since, search.until))
    if search.rating is not None:
        conditions.append(Conversation.rating == search.rating)
    if search.verified is not None:
        conditions.append(
            exists().where(
                Visitor.id == Conversation.visitor_id, Visitor.verified == search.verified
            )
        )
    return conditions


SORTS = {
    "newest": (Conversation.created_at.desc(), Conversation.id),
    "oldest": (Conversation.created_at.asc(), Conversation.id),
    "updated": (Conversation.updated_at.desc(), Conversation.id),
}


def search_conversations(search: Search, agent: Agent | None = None, *, indexed: bool = True):
    """One page of matching conversations and the total count: ``(items, total)``.

    With ``q``, the matching ids are found once and fetched: their number is the total, and
    the page is looked up among them without finding them again."""
    if search.page < 1 or not 1 <= search.per_page <= MAX_PER_PAGE:
        raise InvalidPayload(f"page must be at least 1 and per_page 1-{MAX_PER_PAGE}")
    filters = _conditions(search, agent)
    words = (search.q or "").split()
    if not words:
        query = select(func.count()).select_from(Conversation).where(and_(True, *filters))
        total = db.session.scalar(query) or 0
    else:
        ids = _matching_ids_found(filters, _matching_ids(words, indexed=indexed))
        total = len(ids)
        if not total:
            return [], 0
        walk = total >= WALK_FROM_MATCHES
        filters.append(_among(ids, walk=walk))
        if walk and search.sort == "updated" and not search.status:
            return _page_by_status(search, filters), total
    items = db.session.scalars(
        select(Conversation)
        .where(and_(True, *filters))
        .order_by(*SORTS.get(search.sort, SORTS["newest"]))
        .limit(search.per_page)
        .offset((search.page - 1) * search.per_page)
    )
    return list(items), total


def _page_by_status(search: Search, filters: list) -> list:
    """A page in "updated" order, walked in the ``(status, updated_at)`` index: the first rows
    up to the page of each status (open, closed), merged. There is no index on ``updated_at``
    alone (it changes with every message), so one walk over all statuses would sort them all."""
    start = (search.page - 1) * search.per_page
    query = select(Conversation).where(*filters).order_by(*SORTS["updated"])
    rows: list[Conversation] = []
    for status in STATUSES:
        rows += db.session.scalars(
            query.where(Conversation.status == status).limit(start + search.per_page)
        )
    rows.sort(key=lambda conversation: conversation.id)
    rows.sort(key=lambda conversation: conversation.updated_at, reverse=True)
    return rows[start : start + search.per_page]


def _matching_ids_found(filters: list, matches) -> list[str]:
    """The ids in ``matches`` that pass the other filters: each match looked up by its id,
    never by walking every conversation of a broad filter such as a status."""
    found = matches.subquery()
    query = select(found.c[0])
    if filters:
        query = query.where(exists().where(Conversation.id == found.c[0], *filters))
    return list(db.session.scalars(query))


def _among(ids: list[str], *, walk: bool = False):
    """``id`` is one of ``ids``, bound as one string whatever their number, so the matches are
    not found again: comma-separated on PostgreSQL (ids are hex), split into an array that it
    hashes; a JSON array read by ``json_each`` on SQLite. With ``walk``, the id is written as
    ``id || ''`` so that the planner cannot start from the ids and walks the order's index
    instead, stopping at the page."""
    column = Conversation.id.concat("") if walk else Conversation.id
    if db.session.get_bind().dialect.name == "postgresql":
        values = func.string_to_array(literal(",".join(ids)), ",", type_=ARRAY(String))
        return column == any_(values)
    each = func.json_each(literal(json.dumps(ids))).table_valued("value")
    return column.in_(select(each.c.value))


def iter_conversations(search: Search, agent: Agent | None = None, batch: int = 200) -> Iterator:
    """Every matching conversation, fetched in batches so exports stay flat in memory."""
    filters = _conditions(search, agent)
    words = (search.q or "").split()
    if words:
        filters.append(Conversation.id.in_(_matching_ids(words)))
    where = and_(True, *filters)
    last: tuple | None = None
    while True:
        query = select(Conversation).where(where)
        if last is not None:
            query = query.where(
                or_(
                    Conversation.created_at > last[0],
                    and_(Conversation.created_at == last[0], Conversation.id > last[1]),
                )
            )
        rows = list(
            db.session.scalars(
                query.order_by(Conversation.created_at, Conversation.id).limit(batch)
            )
        )
        yield from rows
        if len(rows) < batch:
            return
        last = (rows[-1].created_at, rows[-1].id)
        db.session.expunge_all()
