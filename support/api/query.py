"""Query-string parsing shared by the API and the admin pages: one set of rules and messages."""

from __future__ import annotations

from datetime import date

from flask import request

from ..schemas.base import clean_text
from ..services.errors import InvalidPayload
from ..services.search import MAX_PER_PAGE, Search

MAX_PAGE = 1_000_000


def text_arg(name: str) -> str | None:
    """Text from the query string: NUL characters dropped (no database stores them), lone
    surrogates refused; None when absent or empty."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return clean_text(raw) or None
    except ValueError as error:
        raise InvalidPayload(f"{name}: {error}") from None


def int_arg(name: str, default: int | None, *, low: int = 1, high: int = MAX_PAGE) -> int | None:
    """A whole number between ``low`` and ``high`` from the query string, ``default`` when
    absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if len(raw) <= 20 else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise InvalidPayload(f"{name} must be a whole number from {low} to {high}")
    return value


def date_arg(name: str) -> date | None:
    """A ``YYYY-MM-DD`` date from the query string, or None when absent."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidPayload(f"{name} must be a date YYYY-MM-DD") from None


def search_from_args() -> Search:
    """The conversation filters of ``GET /api/v1/conversations`` and the transcript list."""
    return Search(
        status=text_arg("status"),
        assignee=text_arg("assignee"),
        q=text_arg("q"),
        since=date_arg("since"),
        until=date_arg("until"),
        rating=int_arg("rating", None, high=5),
        verified={"true": True, "false": False}.get(request.args.get("verified") or ""),
        page=int_arg("page", 1),
        # "At most 100": a larger page size is served as 100, as most APIs do.
        per_page=min(int_arg("per_page", 20, high=2**31), MAX_PER_PAGE),
        sort=text_arg("sort") or "newest",
    )
