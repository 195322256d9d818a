"""Query strings and JSON bodies, validated with the models of ``schemas.http`` (the OpenAPI
document is generated from the same models): one set of rules and messages for the API and the
admin pages."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from .schemas.http import ConversationQuery
from .services.errors import InvalidPayload
from .services.search import MAX_PER_PAGE, Search

M = TypeVar("M", bound=BaseModel)


def _problem(error: ValidationError) -> str:
    """``page must be a whole number from 1 to 1000000``: the parameter and what is wrong."""
    item = error.errors()[0]
    name = ".".join(str(part) for part in item["loc"]) or "query"
    message = item["msg"].removeprefix("Value error, ")
    return f"{name} {message}" if message.startswith("must ") else f"{name}: {message}"


def parse_query(model: type[M]) -> M:
    """The query string as ``model``; empty values count as absent. Bad values are a 400."""
    values = {name: value for name, value in request.args.items() if value != ""}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise InvalidPayload(_problem(error)) from None


def json_body(model: type[BaseModel] | None = None) -> dict:
    """The JSON object of the request, checked against ``model`` (strict types; unknown keys
    ignored); the object itself is returned, so "given or not" stays visible."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidPayload("send a JSON object")
    if model is not None:
        try:
            model.model_validate(body)
        except ValidationError as error:
            raise InvalidPayload(_problem(error)) from None
    return body


def date_arg(name: str) -> date | None:
    """A ``YYYY-MM-DD`` date from the query string, or None when absent (the admin's report
    pages)."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidPayload(f"{name} must be a date YYYY-MM-DD") from None


def search_of(query: ConversationQuery) -> Search:
    """The service's filters from a validated query."""
    fields = query.model_dump(exclude={"per_page", "sort", "format"})
    # "At most 100": a larger page size is served as 100, as most APIs do.
    return Search(**fields, per_page=min(query.per_page, MAX_PER_PAGE), sort=query.sort or "newest")


def search_from_args() -> Search:
    """The conversation filters of ``GET /api/v1/conversations`` and the transcript list."""
    return search_of(parse_query(ConversationQuery))
