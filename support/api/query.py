"""Query-string parsing shared by the API and the admin pages: one set of rules and messages."""

from __future__ import annotations

from datetime import date

from flask import request

from ..services.errors import InvalidPayload
from ..services.search import MAX_PER_PAGE, Search


def int_arg(name: str, default: int | None) -> int | None:
    """A whole number from the query string, ``default`` when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidPayload(f"{name} must be a whole number") from None


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
        status=request.args.get("status") or None,
        assignee=request.args.get("assignee") or None,
        q=request.args.get("q") or None,
        since=date_arg("since"),
        until=date_arg("until"),
        rating=int_arg("rating", None),
        verified={"true": True, "false": False}.get(request.args.get("verified") or ""),
        page=int_arg("page", 1),
        # "At most 100": a larger page size is served as 100, as most APIs do.
        per_page=min(int_arg("per_page", 20), MAX_PER_PAGE),
        sort=request.args.get("sort") or "newest",
    )
